namespace BlueGreenOperator.Plugin.Tests;

/// <summary>The built plugin as a real process: exit codes and messages that scripts see.</summary>
public sealed class PluginProcessTests : UnreachableClusterTests
{
    private const string Unreachable = "error: cannot reach the API server at https://127.0.0.1:1: Connection refused (127.0.0.1:1)\n";

    private static Task<ProcessOutcome> Plugin(IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        RealProcess.RunAsync("dotnet", [PluginDll, .. args], environment);

    private static Task<ProcessOutcome> Plugin(params string[] args) => Plugin(null, args);

    [TestCase("list")]
    [TestCase("list", "-A")]
    [TestCase("status", "fraud-model")]
    [TestCase("status", "fraud-model", "--watch")]
    [TestCase("promote", "fraud-model")]
    [TestCase("abort", "fraud-model")]
    [TestCase("rollback", "fraud-model")]
    [TestCase("retry", "fraud-model", "--force")]
    public async Task Should_exit_4_with_one_clear_line_when_the_API_server_is_unreachable(params string[] args)
    {
        var outcome = await Plugin([.. args, "--kubeconfig", Kubeconfig]);

        outcome.ExitCode.Should().Be(4, outcome.ToString());
        outcome.StandardError.Should().Be(Unreachable, "a script or a person needs one line, not a stack trace");
        outcome.StandardOutput.Should().BeEmpty();
    }

    [Test]
    public async Task Should_find_the_kubeconfig_through_KUBECONFIG_and_through_HOME()
    {
        var home = new ScratchDirectory();
        try
        {
            home.File(".kube/config", File.ReadAllText(Kubeconfig));

            var throughVariable = await Plugin(new Dictionary<string, string?> { ["KUBECONFIG"] = Kubeconfig }, "list");
            var throughHome = await Plugin(new Dictionary<string, string?> { ["KUBECONFIG"] = null, ["HOME"] = home.Path }, "list");

            throughVariable.Should().Be(new ProcessOutcome(4, "", Unreachable));
            throughHome.Should().Be(new ProcessOutcome(4, "", Unreachable));
        }
        finally
        {
            home.Dispose();
        }
    }

    [Test]
    public async Task Should_exit_4_when_the_API_server_accepts_connections_but_never_answers()
    {
        // Listening without ever accepting: the kernel completes the TCP handshake, then nothing answers the TLS hello.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        var silentConfig = Scratch.File($"silent-{port}", Kubeconfigs.Single($"https://127.0.0.1:{port}", "silent", "ml"));

        var outcome = await Plugin("status", "fraud-model", "--kubeconfig", silentConfig, "--request-timeout=2s");

        outcome.Should().Be(new ProcessOutcome(4, "", $"error: the API server at https://127.0.0.1:{port} did not answer in time (--request-timeout)\n"));
    }

    [Test]
    public async Task Should_exit_4_naming_the_file_when_the_kubeconfig_is_missing()
    {
        var missing = Path.Combine(Scratch.Path, "missing");

        var outcome = await Plugin("status", "fraud-model", "--kubeconfig", missing);

        outcome.Should().Be(new ProcessOutcome(4, "", $"error: no kubeconfig found (looked at {missing}); pass --kubeconfig or set KUBECONFIG\n"));
    }

    [Test]
    public async Task Should_exit_1_and_print_usage_on_an_unknown_verb_or_flag()
    {
        var verb = await Plugin("describe", "fraud-model");
        var flag = await Plugin("status", "fraud-model", "--output=json");

        verb.ExitCode.Should().Be(1);
        verb.StandardError.Should().StartWith("error: unknown command \"describe\"\n").And.Contain("kubectl bluegreen status NAME [-n NS] [--watch]");
        flag.ExitCode.Should().Be(1);
        flag.StandardError.Should().StartWith("error: unknown flag \"--output\" for \"status\"\n").And.Contain("-w, --watch");
    }

    [TestCase("list", "kubectl bluegreen list [-n NS | -A]")]
    [TestCase("status", "kubectl bluegreen status NAME [-n NS] [--watch]")]
    [TestCase("promote", "promote applies in phase Paused (a release passed its smoke tests and waits for a promote).")]
    [TestCase("abort", "abort applies while a release has not switched yet (status.previewRevision is set).")]
    [TestCase("rollback", "rollback applies while a switched release stabilizes with a warm standby (status.standbyColor is set, no release or rollback under way).")]
    [TestCase("retry", "retry applies when the spec's revision is the one that was aborted or rolled back (status.abortedRevision equals status.currentRevision).")]
    public async Task Should_print_the_help_of_each_verb_without_touching_the_cluster(string verb, string expected)
    {
        var outcome = await Plugin(verb, "--help", "--kubeconfig", Path.Combine(Scratch.Path, "missing"));

        outcome.ExitCode.Should().Be(0, outcome.ToString());
        outcome.StandardOutput.Should().Contain(expected).And.Contain("Exit codes:");
        outcome.StandardError.Should().BeEmpty();
    }
}
