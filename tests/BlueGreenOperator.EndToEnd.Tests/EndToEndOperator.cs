using BlueGreenOperator.LocalCluster.Testing;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>The shared operator launcher with this suite's defaults: the operator's build output and the suite's cluster admin.</summary>
internal static class EndToEndOperator
{
    extension(OperatorProcess)
    {
        /// <param name="kubeconfig">Whom the operator authenticates as; the cluster admin unless given.</param>
        /// <param name="environment">Settings that replace the defaults, as a Helm release would set them.</param>
        public static Task<OperatorProcess> StartAsync(
            string watchNamespace,
            bool leaderElection = false,
            string? identity = null,
            bool waitReady = true,
            string? kubeconfig = null,
            IReadOnlyDictionary<string, string>? environment = null) =>
            OperatorProcess.StartAsync(
                new OperatorLaunch(BuildOutputs.OperatorDll, kubeconfig ?? EndToEndCluster.Kubeconfig, watchNamespace)
                {
                    LeaderElection = leaderElection,
                    Identity = identity,
                    Environment = environment ?? new Dictionary<string, string>(),
                },
                waitReady);
    }
}
