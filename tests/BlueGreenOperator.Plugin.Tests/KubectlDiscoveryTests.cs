namespace BlueGreenOperator.Plugin.Tests;

/// <summary>hack/install-plugin.sh publishes the plugin, and the real kubectl finds it on PATH as `kubectl bluegreen`.</summary>
public sealed class KubectlDiscoveryTests
{
    private ScratchDirectory scratch = null!;
    private string kubectl = null!;
    private string bin = null!;
    private Dictionary<string, string?> environment = null!;

    [OneTimeSetUp]
    public async Task InstallThePlugin()
    {
        kubectl = InstalledPlugin.Kubectl ?? "";
        if (kubectl.Length == 0)
        {
            Assert.Fail("kubectl is neither on PATH nor in the Kubernetes binaries cache (bash hack/prereqs.sh installs it); the plugin discovery tests need the real kubectl");
        }

        scratch = new ScratchDirectory();
        bin = await InstalledPlugin.InstallAsync();
        environment = InstalledPlugin.Environment(bin, scratch.File("unreachable", Kubeconfigs.Single(Kubeconfigs.UnreachableServer, "nowhere", "ml")));
    }

    [OneTimeTearDown]
    public void RemoveScratch() => scratch?.Dispose();

    private Task<ProcessOutcome> Kubectl(params string[] args) => RealProcess.RunAsync(kubectl, args, environment);

    [Test]
    public async Task Should_be_listed_by_kubectl_plugin_list()
    {
        var outcome = await Kubectl("plugin", "list");

        outcome.StandardOutput.Should().Contain(Path.Combine(bin, "kubectl-bluegreen"), outcome.ToString());
    }

    [Test]
    public async Task Should_answer_kubectl_bluegreen_help()
    {
        var outcome = await Kubectl("bluegreen", "--help");

        outcome.ExitCode.Should().Be(0, outcome.ToString());
        outcome.StandardOutput.Should().StartWith("kubectl bluegreen: inspect and steer BlueGreenDeployments");
    }

    [Test]
    public async Task Should_pass_exit_codes_and_errors_through_kubectl()
    {
        var unreachable = await Kubectl("bluegreen", "status", "fraud-model");
        var usage = await Kubectl("bluegreen", "promote");

        unreachable.ExitCode.Should().Be(4, unreachable.ToString());
        unreachable.StandardError.Should().Be("error: cannot reach the API server at https://127.0.0.1:1: Connection refused (127.0.0.1:1)\n");
        usage.ExitCode.Should().Be(1, usage.ToString());
        usage.StandardError.Should().StartWith("error: \"promote\" needs the name of a BlueGreenDeployment\n");
    }
}
