using k8s.Models;

namespace BlueGreenOperator.Packaging.Tests.Helm;

[TestFixture]
internal sealed class ChartCrdTests
{
    [Test]
    public void Should_ship_the_repository_crds_byte_for_byte()
    {
        var source = SourceTree.PathOf("crds");
        var chart = SourceTree.PathOf("charts/bluegreen-operator/crds");
        if (!Directory.Exists(source) || !Directory.EnumerateFiles(source, "*.yaml").Any())
        {
            Assert.Fail("crds/ has no CustomResourceDefinition: the chart must ship the repository's CRD");
        }

        Names(chart).Should().BeEquivalentTo(Names(source), "the chart ships exactly the repository's CRDs");
        foreach (var name in Names(source))
        {
            File.ReadAllBytes(Path.Combine(chart, name)).Should().Equal(
                File.ReadAllBytes(Path.Combine(source, name)), "charts/bluegreen-operator/crds/{0} is a copy of crds/{0} (run hack/sync-chart-crds.sh)", name);
        }
    }

    [Test]
    public void Should_not_ship_the_placeholder_crd()
    {
        if (!Directory.Exists(SourceTree.PathOf("crds")))
        {
            Assert.Fail("crds/ has no CustomResourceDefinition: the chart must ship the repository's CRD");
        }

        foreach (var file in Directory.EnumerateFiles(SourceTree.PathOf("charts/bluegreen-operator/crds")))
        {
            File.ReadAllText(file).Should().NotContain("PLACEHOLDER");
        }
    }

    [Test]
    public async Task Should_install_the_blue_green_deployment_crd_with_the_chart()
    {
        var chart = await HelmCli.RenderAsync("--include-crds");

        var crd = chart.Single<V1CustomResourceDefinition>();
        crd.Metadata.Name.Should().Be("bluegreendeployments.bluegreen.dev");
        crd.Spec.Names.ShortNames.Should().Contain("bgd");
        crd.Spec.Versions.Should().ContainSingle(v => v.Name == "v1alpha1" && v.Served && v.Storage);
    }

    private static IEnumerable<string> Names(string directory) =>
        Directory.EnumerateFiles(directory, "*.yaml").Select(Path.GetFileName).OfType<string>();
}
