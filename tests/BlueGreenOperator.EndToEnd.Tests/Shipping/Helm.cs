using BlueGreenOperator.LocalCluster.Install;
using BlueGreenOperator.LocalCluster.Processes;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>The pinned Helm that hack/helm.sh caches, run on the repository's chart against the test cluster.</summary>
internal static class Helm
{
    public const string Chart = "charts/bluegreen-operator";
    public const string DefaultValues = "defaults";

    static readonly Lazy<Task<string>> Binary = new(async () =>
        (await HostCommand.RunCheckedAsync("bash", [SourceTree.PathOf("hack/helm.sh")])).Trim());

    /// <summary>The default values and every documented variant under the chart's ci/ folder.</summary>
    public static IEnumerable<string> Variants() =>
        new[] { DefaultValues }.Concat(
            Directory.EnumerateFiles(SourceTree.PathOf($"{Chart}/ci"), "*-values.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal));

    /// <summary>Renders for the test cluster's Kubernetes version, as an install against it would.</summary>
    public static Task<string> TemplateAsync(string release, string ns, string variant, params string[] settings) =>
        RunCheckedAsync(["template", release, SourceTree.PathOf(Chart), "--namespace", ns, "--kube-version", KubernetesBinaries.Version, .. Values(variant), .. settings]);

    /// <summary>A real install; the CRD is already on the cluster, so the chart's copy is skipped.</summary>
    public static Task<CommandResult> InstallAsync(string release, string ns, string variant, params string[] settings) =>
        RunAsync(["install", release, SourceTree.PathOf(Chart), "--namespace", ns, "--skip-crds", .. Values(variant), .. settings]);

    public static Task<CommandResult> UninstallAsync(string release, string ns) => RunAsync(["uninstall", release, "--namespace", ns]);

    /// <summary>What the release put on the cluster, as Helm recorded it.</summary>
    public static Task<string> ManifestAsync(string release, string ns) => RunCheckedAsync(["get", "manifest", release, "--namespace", ns]);

    static string[] Values(string variant) =>
        variant == DefaultValues ? [] : ["--values", SourceTree.PathOf($"{Chart}/ci/{variant}")];

    static async Task<CommandResult> RunAsync(string[] arguments) =>
        await HostCommand.RunAsync(await Binary.Value, [.. arguments, "--kubeconfig", EndToEndCluster.Kubeconfig]);

    static async Task<string> RunCheckedAsync(string[] arguments) =>
        await HostCommand.RunCheckedAsync(await Binary.Value, [.. arguments, "--kubeconfig", EndToEndCluster.Kubeconfig]);
}
