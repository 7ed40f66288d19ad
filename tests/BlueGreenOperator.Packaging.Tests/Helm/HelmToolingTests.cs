namespace BlueGreenOperator.Packaging.Tests.Helm;

[TestFixture]
internal sealed class HelmToolingTests
{
    [Test]
    public async Task Should_cache_helm_4_1_4_and_return_the_same_path_on_every_call()
    {
        var first = await HelmCli.BinaryPathAsync();
        var again = await ExternalCommand.RunAsync(SourceTree.PathOf("hack/helm.sh"), []);
        var version = await ExternalCommand.RunAsync(first, ["version", "--template", "{{.Version}}"]);

        again.StandardOutput.Trim().Should().Be(first);
        first.Replace('\\', '/').Should().EndWith(".cache/bluegreen-operator/helm-v4.1.4/helm");
        version.StandardOutput.Trim().Should().Be("v4.1.4");
    }

    [Test]
    public async Task Should_tell_the_installer_what_the_operator_watches_and_how_to_act()
    {
        var result = await HelmCli.InstallDryRunAsync(HelmCli.Variant("watch-namespaces-values.yaml"));

        result.ExitCode.Should().Be(0, result.Describe());
        var notes = result.StandardOutput[result.StandardOutput.IndexOf("NOTES:", StringComparison.Ordinal)..];
        notes.Should().Contain("ml-serving, ml-staging")
            .And.Contain($"kubectl -n {HelmCli.ReleaseNamespace} rollout status deployment/bluegreen-operator")
            .And.Contain("bluegreen.dev/action=promote")
            .And.Contain($"http://bluegreen-operator-metrics.{HelmCli.ReleaseNamespace}:8080/metrics");
    }
}
