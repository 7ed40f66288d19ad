using BlueGreenOperator.Plugin.Cluster;

namespace BlueGreenOperator.Plugin.Tests;

public sealed class ClusterTargetTests
{
    private ScratchDirectory scratch = null!;

    [SetUp]
    public void CreateScratch() => scratch = new ScratchDirectory();

    [TearDown]
    public void RemoveScratch() => scratch.Dispose();

    private static ClusterTarget Resolve(Invocation invocation, string? kubeconfigVariable = null, string? home = null) =>
        ClusterTarget.Resolve(invocation, name => name switch
        {
            "KUBECONFIG" => kubeconfigVariable,
            "HOME" => home,
            _ => null,
        });

    [Test]
    public void Should_take_the_namespace_of_the_kubeconfig_context_unless_given()
    {
        var kubeconfig = scratch.File("kc", Kubeconfigs.Single("https://127.0.0.1:6443", "dev", "ml"));

        var target = Resolve(new Invocation(Verb.List, Kubeconfig: kubeconfig));
        target.Namespace.Should().Be("ml");
        target.Configuration.Host.Should().Be("https://127.0.0.1:6443");
        Resolve(new Invocation(Verb.List, Namespace: "staging", Kubeconfig: kubeconfig)).Namespace.Should().Be("staging");
    }

    [Test]
    public void Should_fall_back_to_the_default_namespace()
    {
        var kubeconfig = scratch.File("kc", Kubeconfigs.Single("https://127.0.0.1:6443", "dev", null));

        Resolve(new Invocation(Verb.List, Kubeconfig: kubeconfig)).Namespace.Should().Be("default");
    }

    [Test]
    public void Should_prefer_the_flag_then_KUBECONFIG_then_the_home_kubeconfig()
    {
        var flag = scratch.File("flag", Kubeconfigs.Single("https://127.0.0.1:1001", "flag", null));
        var variable = scratch.File("variable", Kubeconfigs.Single("https://127.0.0.1:1002", "variable", null));
        scratch.File(".kube/config", Kubeconfigs.Single("https://127.0.0.1:1003", "home", null));

        Resolve(new Invocation(Verb.List, Kubeconfig: flag), variable, scratch.Path).Configuration.Host.Should().Be("https://127.0.0.1:1001");
        Resolve(new Invocation(Verb.List), variable, scratch.Path).Configuration.Host.Should().Be("https://127.0.0.1:1002");
        Resolve(new Invocation(Verb.List), null, scratch.Path).Configuration.Host.Should().Be("https://127.0.0.1:1003");
    }

    [Test]
    public void Should_merge_the_files_of_KUBECONFIG_like_kubectl()
    {
        var first = scratch.File("first", Kubeconfigs.Single("https://127.0.0.1:1001", "first", "ml"));
        var second = scratch.File("second", Kubeconfigs.Single("https://127.0.0.1:1002", "second", "staging"));
        var variable = string.Join(Path.PathSeparator, first, Path.Combine(scratch.Path, "missing"), second);

        Resolve(new Invocation(Verb.List), variable).Namespace.Should().Be("ml");
        var other = Resolve(new Invocation(Verb.List, Context: "second"), variable);
        other.Configuration.Host.Should().Be("https://127.0.0.1:1002");
        other.Namespace.Should().Be("staging");
    }

    [Test]
    public void Should_fail_with_exit_code_4_when_no_kubeconfig_exists()
    {
        var missing = Path.Combine(scratch.Path, "nope");

        var failure = FluentActions.Invoking(() => Resolve(new Invocation(Verb.List, Kubeconfig: missing))).Should().Throw<CommandFailure>().Which;

        failure.ExitCode.Should().Be(ExitCode.ClusterError);
        failure.Message.Should().Be($"no kubeconfig found (looked at {missing}); pass --kubeconfig or set KUBECONFIG");
    }

    [Test]
    public void Should_fail_with_exit_code_4_on_an_unknown_context_or_a_broken_file()
    {
        var kubeconfig = scratch.File("kc", Kubeconfigs.Single("https://127.0.0.1:6443", "dev", null));
        var broken = scratch.File("broken", "clusters: [this is: not: yaml");

        FluentActions.Invoking(() => Resolve(new Invocation(Verb.List, Kubeconfig: kubeconfig, Context: "prod")))
            .Should().Throw<CommandFailure>().Where(f => f.ExitCode == ExitCode.ClusterError && f.Message.StartsWith("cannot use kubeconfig " + kubeconfig));
        FluentActions.Invoking(() => Resolve(new Invocation(Verb.List, Kubeconfig: broken)))
            .Should().Throw<CommandFailure>().Where(f => f.ExitCode == ExitCode.ClusterError && f.Message.StartsWith("cannot use kubeconfig " + broken));
    }
}
