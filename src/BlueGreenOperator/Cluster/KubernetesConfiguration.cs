using k8s;

namespace BlueGreenOperator.Cluster;

/// <summary>Where the operator finds its API server: an explicit kubeconfig, KUBECONFIG, in-cluster, or ~/.kube/config.</summary>
internal static class KubernetesConfiguration
{
    public static KubernetesClientConfiguration Load(string? kubeconfig)
    {
        if (!string.IsNullOrEmpty(kubeconfig))
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
        if (Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } fromEnvironment)
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(fromEnvironment.Split(Path.PathSeparator)[0]);
        return KubernetesClientConfiguration.IsInCluster()
            ? KubernetesClientConfiguration.InClusterConfig()
            : KubernetesClientConfiguration.BuildDefaultConfig();
    }
}
