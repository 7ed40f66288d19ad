namespace BlueGreenOperator.Packaging.Tests.Helm;

/// <summary>The Helm binary that hack/helm.sh fetches and caches, run against the repository's chart.</summary>
internal static class HelmCli
{
    public const string ChartPath = "charts/bluegreen-operator";
    public const string ReleaseName = "bluegreen-operator";
    public const string ReleaseNamespace = "bluegreen-system";

    private static readonly Lazy<Task<string>> Binary = new(FetchAsync);

    public static Task<CommandResult> LintAsync(params string[] arguments) =>
        RunAsync(["lint", "--strict", ChartPath, "--namespace", ReleaseNamespace, .. arguments]);

    public static Task<CommandResult> TemplateAsync(params string[] arguments) =>
        RunAsync(["template", ReleaseName, ChartPath, "--namespace", ReleaseNamespace, .. arguments]);

    /// <summary>A client-side dry-run install: renders NOTES.txt too, without contacting a cluster.</summary>
    public static Task<CommandResult> InstallDryRunAsync(params string[] arguments) =>
        RunAsync(["install", ReleaseName, ChartPath, "--namespace", ReleaseNamespace, "--dry-run=client", .. arguments]);

    public static Task<string> BinaryPathAsync() => Binary.Value;

    public static async Task<RenderedChart> RenderAsync(params string[] arguments)
    {
        var result = await TemplateAsync(arguments);
        result.ExitCode.Should().Be(0, "helm template must render: {0}", result.Describe());
        return RenderedChart.Parse(result.StandardOutput);
    }

    /// <summary>Arguments that render with one of the chart's documented variants under ci/.</summary>
    public static string[] Variant(string? valuesFile) =>
        valuesFile is null ? [] : ["--values", $"{ChartPath}/ci/{valuesFile}"];

    public static IEnumerable<string?> Variants() =>
        new string?[] { null }.Concat(
            Directory.EnumerateFiles(SourceTree.PathOf($"{ChartPath}/ci"), "*-values.yaml").Select(Path.GetFileName).Order(StringComparer.Ordinal));

    private static async Task<CommandResult> RunAsync(string[] arguments) =>
        await ExternalCommand.RunAsync(await Binary.Value, arguments);

    private static async Task<string> FetchAsync()
    {
        var result = await ExternalCommand.RunAsync(SourceTree.PathOf("hack/helm.sh"), []);
        if (result.ExitCode != 0)
        {
            throw new AssertionException("hack/helm.sh could not provide helm: " + result.Describe());
        }

        return result.StandardOutput.Trim();
    }
}
