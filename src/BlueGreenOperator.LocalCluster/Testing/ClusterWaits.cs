using k8s;
using k8s.Models;

namespace BlueGreenOperator.LocalCluster.Testing;

/// <summary>Waits on cluster objects that tests and benchmarks share.</summary>
public static class ClusterWaits
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    public static Task<V1Pod> WaitForPodAsync(
        this IKubernetes client,
        string namespaceName,
        string podName,
        Func<V1Pod, bool> condition,
        string description,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        Eventually.WaitForAsync(
            async token =>
            {
                var pod = await client.CoreV1.ReadNamespacedPodAsync(podName, namespaceName, cancellationToken: token);
                return condition(pod) ? pod : null;
            },
            timeout ?? DefaultTimeout,
            $"pod {namespaceName}/{podName} {description}",
            cancellationToken);

    public static Task<V1Deployment> WaitForDeploymentAvailableAsync(
        this IKubernetes client,
        string namespaceName,
        string name,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default) =>
        Eventually.WaitForAsync(
            async token =>
            {
                var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(name, namespaceName, cancellationToken: token);
                var status = deployment.Status;
                var caughtUp = status?.ObservedGeneration >= deployment.Metadata.Generation
                    && status.UpdatedReplicas == deployment.Spec.Replicas
                    && status.AvailableReplicas == deployment.Spec.Replicas
                    && status.Replicas == deployment.Spec.Replicas;
                return caughtUp ? deployment : null;
            },
            timeout ?? DefaultTimeout,
            $"deployment {namespaceName}/{name} to be available",
            cancellationToken);

    public static async Task<IReadOnlyList<V1Pod>> ListPodsAsync(this IKubernetes client, string namespaceName, string? labelSelector = null, CancellationToken cancellationToken = default) =>
        (await client.CoreV1.ListNamespacedPodAsync(namespaceName, labelSelector: labelSelector, cancellationToken: cancellationToken)).Items.ToList();

    /// <summary>Ready addresses of a Service's Endpoints (empty when there are none yet).</summary>
    public static async Task<IReadOnlyList<string>> ReadyEndpointAddressesAsync(this IKubernetes client, string namespaceName, string service, CancellationToken cancellationToken = default)
    {
        try
        {
            var endpoints = await client.CoreV1.ReadNamespacedEndpointsAsync(service, namespaceName, cancellationToken: cancellationToken);
            return (endpoints.Subsets ?? []).SelectMany(subset => subset.Addresses ?? []).Select(address => address.Ip).Order().ToList();
        }
        catch (k8s.Autorest.HttpOperationException ex) when (ex.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return [];
        }
    }

    public static bool IsReady(this V1Pod pod) =>
        pod.Status?.Conditions?.Any(condition => condition.Type == "Ready" && condition.Status == "True") == true;
}
