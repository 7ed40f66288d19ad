using k8s.Models;

namespace BlueGreenOperator.Packaging.Tests.Helm;

/// <summary>deploy/install.yaml is the chart's default rendering, kept identical by rendering it again.</summary>
public sealed class InstallManifestTests
{
    const string Manifest = "deploy/install.yaml";

    [Test]
    public async Task Should_be_identical_to_what_hack_render_install_renders_from_the_chart()
    {
        await HelmCli.BinaryPathAsync();

        var rendered = await ExternalCommand.RunAsync("bash", [SourceTree.PathOf("hack/render-install.sh"), "-"]);

        rendered.ExitCode.Should().Be(0, rendered.Describe());
        rendered.StandardOutput.Should().Be(SourceTree.ReadText(Manifest), "deploy/install.yaml is out of date: run bash hack/render-install.sh");
    }

    [Test]
    public async Task Should_hold_the_namespace_the_crd_and_the_default_charts_objects_all_in_bluegreen_system()
    {
        var chart = await HelmCli.RenderAsync("--include-crds");
        var text = SourceTree.ReadText(Manifest);
        var manifest = RenderedChart.Parse(text);

        manifest.Objects[0].Should().BeOfType<V1Namespace>().Which.Metadata.Name.Should().Be(HelmCli.ReleaseNamespace);
        manifest.Objects.Skip(1).Select(o => (o.Kind, o.Metadata.Name)).Should().Equal(chart.Objects.Select(o => (o.Kind, o.Metadata.Name)));
        manifest.All<V1CustomResourceDefinition>().Should().ContainSingle().Which.Metadata.Name.Should().Be("bluegreendeployments.bluegreen.dev");
        manifest.Objects.Where(o => o is not V1Namespace and not V1CustomResourceDefinition and not V1ClusterRole and not V1ClusterRoleBinding)
            .Should().OnlyContain(o => o.Metadata.NamespaceProperty == HelmCli.ReleaseNamespace);
        manifest.Env("Operator__WatchNamespaces").Should().BeEmpty("the default install watches every namespace");
    }
}
