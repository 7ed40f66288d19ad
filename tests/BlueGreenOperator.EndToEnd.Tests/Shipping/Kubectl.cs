using BlueGreenOperator.LocalCluster.Install;
using BlueGreenOperator.LocalCluster.Processes;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>kubectl of the cluster's own version, as the cluster admin: what a platform engineer types.</summary>
internal static class Kubectl
{
    public static Task<CommandResult> RunAsync(params string[] arguments) =>
        HostCommand.RunAsync(KubernetesBinaries.FromCache().Kubectl, ["--kubeconfig", EndToEndCluster.Kubeconfig, .. arguments]);

    public static Task<string> RunCheckedAsync(params string[] arguments) =>
        HostCommand.RunCheckedAsync(KubernetesBinaries.FromCache().Kubectl, ["--kubeconfig", EndToEndCluster.Kubeconfig, .. arguments]);

    /// <summary>The lines of output, without blanks (kubectl prints one per object with -o name).</summary>
    public static IReadOnlyList<string> Lines(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
