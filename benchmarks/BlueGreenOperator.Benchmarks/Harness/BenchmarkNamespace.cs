using System.Net;
using BlueGreenOperator.Api;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Benchmarks.Harness;

/// <summary>Writes and watches of BlueGreenDeployments and Services in the benchmark's namespace, as a user or a GitOps tool would do them.</summary>
internal sealed class BenchmarkNamespace(IKubernetes client, string name, ILogger logger)
{
    const int WatchSeconds = 1800;

    public IKubernetes Client => client;

    public string Name => name;

    /// <summary>Creates the object or replaces its spec (a kubectl apply); returns the stored object, whose generation the operator must reach.</summary>
    public async Task<BlueGreenDeployment> ApplyAsync(BlueGreenDeployment desired, CancellationToken cancellationToken)
    {
        desired.Metadata.NamespaceProperty = name;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var current = await GetOrNullAsync(desired.Metadata.Name, cancellationToken);
                if (current is null)
                    return await client.CustomObjects.CreateNamespacedCustomObjectAsync<BlueGreenDeployment>(
                        desired, WellKnown.Group, WellKnown.Version, name, WellKnown.Plural, cancellationToken: cancellationToken);
                current.Spec = desired.Spec;
                return await client.CustomObjects.ReplaceNamespacedCustomObjectAsync<BlueGreenDeployment>(
                    current, WellKnown.Group, WellKnown.Version, name, WellKnown.Plural, desired.Metadata.Name, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 20)
            {
                // The operator wrote status in between; read again and replace again.
            }
        }
    }

    /// <summary>Sets the action annotation (promote, abort, rollback, retry) with one merge patch.</summary>
    public Task ActAsync(string objectName, string verb, CancellationToken cancellationToken)
    {
        var patch = new { metadata = new { annotations = new Dictionary<string, string> { [WellKnown.ActionAnnotation] = verb } } };
        return client.CustomObjects.PatchNamespacedCustomObjectAsync<BlueGreenDeployment>(
            new V1Patch(patch, V1Patch.PatchType.MergePatch), WellKnown.Group, WellKnown.Version, name, WellKnown.Plural, objectName, cancellationToken: cancellationToken);
    }

    public async Task<BlueGreenDeployment?> GetOrNullAsync(string objectName, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CustomObjects.GetNamespacedCustomObjectAsync<BlueGreenDeployment>(
                WellKnown.Group, WellKnown.Version, name, WellKnown.Plural, objectName, cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task DeleteAsync(string objectName, CancellationToken cancellationToken)
    {
        try
        {
            await client.CustomObjects.DeleteNamespacedCustomObjectAsync(
                WellKnown.Group, WellKnown.Version, name, WellKnown.Plural, objectName, new V1DeleteOptions { PropagationPolicy = "Foreground" }, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    /// <summary>Creates a plain Deployment or replaces its pod template and size; returns the stored object.</summary>
    public async Task<V1Deployment> ApplyDeploymentAsync(V1Deployment desired, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                V1Deployment current;
                try
                {
                    current = await client.AppsV1.ReadNamespacedDeploymentAsync(desired.Metadata.Name, name, cancellationToken: cancellationToken);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
                {
                    return await client.AppsV1.CreateNamespacedDeploymentAsync(desired, name, cancellationToken: cancellationToken);
                }

                current.Spec.Template = desired.Spec.Template;
                current.Spec.Replicas = desired.Spec.Replicas;
                return await client.AppsV1.ReplaceNamespacedDeploymentAsync(current, desired.Metadata.Name, name, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < 20)
            {
                // The Deployment controller wrote status in between; read again and replace again.
            }
        }
    }

    /// <summary>Scales a plain Deployment with one merge patch (its pods go; the Deployment stays, costing nothing).</summary>
    public Task ScaleDeploymentAsync(string deployment, int replicas, CancellationToken cancellationToken) =>
        client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch(new { spec = new { replicas } }, V1Patch.PatchType.MergePatch), deployment, name, cancellationToken: cancellationToken);

    /// <summary>Every version of every Deployment in the namespace, from a watch started now.</summary>
    public ObjectHistory<V1Deployment> WatchDeployments() => new(
        ct => client.AppsV1.WatchListNamespacedDeploymentAsync(name, timeoutSeconds: WatchSeconds, cancellationToken: ct), logger);

    /// <summary>Every version of every BlueGreenDeployment in the namespace, from a watch started now.</summary>
    public ObjectHistory<BlueGreenDeployment> WatchBlueGreenDeployments() => new(WatchBlueGreenDeploymentsAsync, logger);

    /// <summary>Every version of every Service in the namespace, from a watch started now.</summary>
    public ObjectHistory<V1Service> WatchServices() => new(
        ct => client.CoreV1.WatchListNamespacedServiceAsync(name, timeoutSeconds: WatchSeconds, cancellationToken: ct), logger);

    async IAsyncEnumerable<(WatchEventType Type, BlueGreenDeployment Object)> WatchBlueGreenDeploymentsAsync(
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var events = client.CustomObjects.WatchListNamespacedCustomObjectAsync(
            WellKnown.Group, WellKnown.Version, name, WellKnown.Plural, timeoutSeconds: WatchSeconds, cancellationToken: cancellationToken);
        await foreach (var (type, item) in events)
        {
            if (type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted)
                yield return (type, KubernetesJson.Deserialize<BlueGreenDeployment>(KubernetesJson.Serialize(item)));
        }
    }

    /// <summary>True once the operator has seen this generation and reports <paramref name="phase"/> serving <paramref name="modelVersion"/>.</summary>
    public static bool Reached(BlueGreenDeployment item, long generation, string phase, string modelVersion) =>
        item.Metadata.Generation >= generation
        && item.Status is { } status
        && status.ObservedGeneration == item.Metadata.Generation
        && status.Phase == phase
        && status.ActiveModelVersion == modelVersion;

    /// <summary>The colour the active Service selects, or null before it exists.</summary>
    public static string? SelectedColor(V1Service service) =>
        service.Spec?.Selector is { } selector && selector.TryGetValue(WellKnown.ColorLabel, out var color) ? color : null;
}
