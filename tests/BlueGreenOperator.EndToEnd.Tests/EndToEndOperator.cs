using BlueGreenOperator.LocalCluster.Testing;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>
/// The shared operator launcher with this suite's defaults: the operator's build output, and the chart's
/// ServiceAccount with the RBAC the chart renders for the watched namespaces, with the chart's Lease name.
/// </summary>
internal static class EndToEndOperator
{
    extension(OperatorProcess)
    {
        /// <param name="kubeconfig">Whom the operator authenticates as; unless given, the chart's ServiceAccount with the chart's RBAC for <paramref name="watchNamespace"/> (<see cref="Shipping.ChartIdentity"/>).</param>
        /// <param name="environment">Settings that replace the defaults, as a Helm release would set them.</param>
        public static async Task<OperatorProcess> StartAsync(
            string watchNamespace,
            bool leaderElection = false,
            string? identity = null,
            bool waitReady = true,
            string? kubeconfig = null,
            IReadOnlyDictionary<string, string>? environment = null) =>
            await OperatorProcess.StartAsync(
                new OperatorLaunch(BuildOutputs.OperatorProgram, kubeconfig ?? (await Shipping.ChartIdentity.ForAsync(watchNamespace)).Kubeconfig.Path, watchNamespace)
                {
                    LeaderElection = leaderElection,
                    Identity = identity,
                    LeaseName = Shipping.ChartIdentity.LeaseName,
                    Environment = environment ?? new Dictionary<string, string>(),
                },
                waitReady);
    }
}
