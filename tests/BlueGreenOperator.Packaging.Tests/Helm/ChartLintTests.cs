namespace BlueGreenOperator.Packaging.Tests.Helm;

[TestFixture]
internal sealed class ChartLintTests
{
    [TestCaseSource(typeof(HelmCli), nameof(HelmCli.Variants))]
    public async Task Should_pass_strict_lint(string? valuesFile)
    {
        var result = await HelmCli.LintAsync(HelmCli.Variant(valuesFile));

        result.ExitCode.Should().Be(0, result.Describe());
        result.StandardOutput.Should().NotContainAny("[WARNING]", "[ERROR]");
    }

    [TestCaseSource(typeof(HelmCli), nameof(HelmCli.Variants))]
    public async Task Should_render_only_objects_of_the_release(string? valuesFile)
    {
        var chart = await HelmCli.RenderAsync(HelmCli.Variant(valuesFile));

        chart.Objects.Should().NotBeEmpty();
        foreach (var rendered in chart.Objects)
        {
            rendered.Metadata.Labels.Should().Contain(new Dictionary<string, string>
            {
                ["app.kubernetes.io/name"] = "bluegreen-operator",
                ["app.kubernetes.io/instance"] = HelmCli.ReleaseName,
                ["app.kubernetes.io/version"] = "0.1.0",
                ["app.kubernetes.io/managed-by"] = "Helm",
                ["helm.sh/chart"] = "bluegreen-operator-0.1.0",
            }, "{0} {1} carries the Helm labels", rendered.Kind, rendered.Metadata.Name);
        }
    }
}
