using System.Net;
using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Reconciliation;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Runtime;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BlueGreenOperator.Cluster;

/// <summary>Reads for reconciles: from the caches; the object alone is read live, and only when asked.</summary>
internal sealed class ClusterState(IKubernetes client, ClusterCaches caches) : IClusterState
{
    public BlueGreenDeployment? Resource(ObjectKey key) => caches.Resources.Get(key.Namespace, key.Name);

    public async Task<BlueGreenDeployment?> ReadFreshAsync(ObjectKey key, CancellationToken ct)
    {
        try
        {
            var fresh = await client.CustomObjects.GetNamespacedCustomObjectAsync<BlueGreenDeployment>(
                WellKnown.Group, WellKnown.Version, key.Namespace, WellKnown.Plural, key.Name, ct);
            caches.Resources.Upsert(fresh);
            return fresh;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            caches.Resources.Forget(key.Namespace, key.Name);
            return null;
        }
    }

    public ObservedWorld Observe(BlueGreenDeployment resource)
    {
        var ns = resource.Metadata.NamespaceProperty;
        string? conflict = null;

        ObservedDeployment? Deployment(Color color)
        {
            var name = DesiredObjects.DeploymentName(resource, color);
            if (caches.Deployments.Get(ns, name) is not { } deployment)
                return null;
            if (!Observation.IsOwnedBy(deployment.Metadata, resource))
            {
                conflict ??= $"Deployment {name} exists and is not owned by this BlueGreenDeployment; it is left alone";
                return null;
            }

            return Observation.Deployment(deployment, resource, color);
        }

        ObservedService? Service(ServiceRole role)
        {
            var name = DesiredObjects.ServiceName(resource, role);
            if (caches.Services.Get(ns, name) is not { } service)
                return null;
            if (!Observation.IsOwnedBy(service.Metadata, resource))
            {
                conflict ??= $"Service {name} exists and is not owned by this BlueGreenDeployment; it is left alone";
                return null;
            }

            return Observation.Service(service);
        }

        var templates = caches.Templates.ByInstance(ns, resource.Metadata.Name)
            .Where(t => Observation.IsOwnedBy(t.Metadata, resource))
            .Select(t => t.Metadata.Labels?.TryGetValue(WellKnown.RevisionLabel, out var revision) == true ? revision : null)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        var pods = caches.Pods.ByInstance(ns, resource.Metadata.Name).Select(Observation.Pod).OfType<ObservedPod>().ToList();
        return new ObservedWorld(Deployment(Color.Blue), Deployment(Color.Green), Service(ServiceRole.Active), Service(ServiceRole.Preview), pods, templates, conflict)
        {
            RememberedTemplates = caches.Memory.Revisions(resource.Metadata.Uid ?? ""),
        };
    }

    public void Forget(string uid) => caches.Memory.Forget(uid);

    public async Task<NameConflictException?> FindForeignAsync(BlueGreenDeployment resource, CancellationToken ct)
    {
        var names = new[]
        {
            new NameConflictException("Service", DesiredObjects.ServiceName(resource, ServiceRole.Active)),
            new NameConflictException("Service", DesiredObjects.ServiceName(resource, ServiceRole.Preview)),
            new NameConflictException("Deployment", DesiredObjects.DeploymentName(resource, Color.Blue)),
            new NameConflictException("Deployment", DesiredObjects.DeploymentName(resource, Color.Green)),
        };
        foreach (var candidate in names)
        {
            if (await IsForeignAsync(resource, candidate, ct))
                return candidate;
        }

        return null;
    }

    public async Task<bool> IsForeignAsync(BlueGreenDeployment resource, NameConflictException conflict, CancellationToken ct)
    {
        var ns = resource.Metadata.NamespaceProperty;
        try
        {
            V1ObjectMeta metadata = conflict.Kind switch
            {
                "Deployment" => (await client.AppsV1.ReadNamespacedDeploymentAsync(conflict.Name, ns, cancellationToken: ct)).Metadata,
                "Service" => (await client.CoreV1.ReadNamespacedServiceAsync(conflict.Name, ns, cancellationToken: ct)).Metadata,
                _ => (await client.AppsV1.ReadNamespacedControllerRevisionAsync(conflict.Name, ns, cancellationToken: ct)).Metadata,
            };
            return !Observation.IsOwnedBy(metadata, resource);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    public IReadOnlyList<CheckTarget> CheckTargets(BlueGreenDeployment resource, Color color, string revision) =>
        [.. caches.Pods.ByInstance(resource.Metadata.NamespaceProperty, resource.Metadata.Name)
            .Where(p => p.Metadata.DeletionTimestamp is null && Observation.IsReady(p))
            .Where(p => Observation.Pod(p) is { } pod && pod.Color == color && pod.Revision == revision)
            .OrderBy(p => p.Metadata.Name, StringComparer.Ordinal)
            .Select(Observation.Target)];
}
