using System.Diagnostics;
using System.Net;
using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Rollout;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BlueGreenOperator.Cluster;

/// <summary>
/// The one place that talks to the API server: reads the observed world, performs a planned step narrowly
/// (server-side apply for Deployments, a one-key merge patch for a Service selector, PUT on /status), records Events.
/// </summary>
internal sealed class ClusterAccess(IKubernetes client, TimeProvider time)
{
    public async Task<BlueGreenDeployment?> GetAsync(string ns, string name, CancellationToken ct)
    {
        try
        {
            return await client.CustomObjects.GetNamespacedCustomObjectAsync<BlueGreenDeployment>(
                WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural, name, ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<ObservedState> ObserveAsync(BlueGreenDeployment resource, CancellationToken ct)
    {
        var ns = resource.Metadata.NamespaceProperty;
        var blue = ReadDeploymentAsync(resource, Color.Blue, ct);
        var green = ReadDeploymentAsync(resource, Color.Green, ct);
        var active = ReadServiceAsync(ns, DesiredObjects.ServiceName(resource, ServiceRole.Active), resource, ct);
        var preview = ReadServiceAsync(ns, DesiredObjects.ServiceName(resource, ServiceRole.Preview), resource, ct);
        return new ObservedState(resource, await blue, await green, await active, await preview, time.GetUtcNow().UtcDateTime);
    }

    async Task<ObservedDeployment?> ReadDeploymentAsync(BlueGreenDeployment resource, Color color, CancellationToken ct)
    {
        var deployment = await OrNull(() => client.AppsV1.ReadNamespacedDeploymentAsync(
            DesiredObjects.DeploymentName(resource, color), resource.Metadata.NamespaceProperty, cancellationToken: ct));
        if (deployment is null)
            return null;
        if (!IsOwnedBy(deployment.Metadata, resource))
            throw new OwnershipConflictException($"Deployment {deployment.Metadata.Name} exists and is not owned by this BlueGreenDeployment; it is left alone");
        var labels = deployment.Metadata.Labels ?? new Dictionary<string, string>();
        var status = deployment.Status ?? new V1DeploymentStatus();
        return new ObservedDeployment(
            color,
            labels.TryGetValue(WellKnown.RevisionLabel, out var revision) ? revision : null,
            labels.TryGetValue(WellKnown.ModelVersionLabel, out var modelVersion) ? modelVersion : null,
            deployment.Spec.Replicas ?? 1,
            deployment.Metadata.Generation ?? 0,
            status.ObservedGeneration ?? 0,
            status.Replicas ?? 0,
            status.UpdatedReplicas ?? 0,
            status.AvailableReplicas ?? 0);
    }

    async Task<ObservedService?> ReadServiceAsync(string ns, string name, BlueGreenDeployment resource, CancellationToken ct)
    {
        var service = await OrNull(() => client.CoreV1.ReadNamespacedServiceAsync(name, ns, cancellationToken: ct));
        if (service is null)
            return null;
        if (!IsOwnedBy(service.Metadata, resource))
            throw new OwnershipConflictException($"Service {name} exists and is not owned by this BlueGreenDeployment; it is left alone");
        var selector = service.Spec?.Selector;
        Color? color = selector is not null
            && selector.TryGetValue(WellKnown.InstanceLabel, out var instance) && instance == resource.Metadata.Name
            && selector.TryGetValue(WellKnown.ColorLabel, out var value)
                ? ColorNames.Parse(value)
                : null;
        return new ObservedService(name, color);
    }

    /// <summary>The ready pods of a colour at a revision: the targets of smoke tests and analysis.</summary>
    public async Task<IReadOnlyList<CheckTarget>> ReadyPodsAsync(BlueGreenDeployment resource, Color color, string revision, CancellationToken ct)
    {
        var selector = $"{WellKnown.InstanceLabel}={resource.Metadata.Name},{WellKnown.ColorLabel}={color.Label()},{WellKnown.RevisionLabel}={revision}";
        var pods = await client.CoreV1.ListNamespacedPodAsync(resource.Metadata.NamespaceProperty, labelSelector: selector, cancellationToken: ct);
        return [.. pods.Items
            .Where(p => p.Metadata.DeletionTimestamp is null && !string.IsNullOrEmpty(p.Status?.PodIP))
            .Where(p => p.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true)
            .OrderBy(p => p.Metadata.Name, StringComparer.Ordinal)
            .Select(p => new CheckTarget(p.Metadata.Name, p.Status.PodIP))];
    }

    /// <summary>Performs a write step; returns how long the Service write took for an active switch.</summary>
    public async Task<TimeSpan?> ExecuteAsync(BlueGreenDeployment resource, RolloutStep step, ObservedState observed)
    {
        // Writes that commit a decision are not cancelled half-way.
        var ct = CancellationToken.None;
        var ns = resource.Metadata.NamespaceProperty;
        switch (step)
        {
            case ApplyDeployment apply:
                await client.AppsV1.PatchNamespacedDeploymentAsync(
                    new V1Patch(DesiredObjects.Deployment(resource, apply), V1Patch.PatchType.ApplyPatch),
                    DesiredObjects.DeploymentName(resource, apply.Color), ns, fieldManager: WellKnown.FieldManager, force: true, cancellationToken: ct);
                return null;
            case ScaleDeployment scale:
                await client.AppsV1.PatchNamespacedDeploymentAsync(
                    new V1Patch(new { spec = new { replicas = scale.Replicas } }, V1Patch.PatchType.MergePatch),
                    DesiredObjects.DeploymentName(resource, scale.Color), ns, fieldManager: WellKnown.FieldManager, cancellationToken: ct);
                return null;
            case PointService point:
                var existing = point.Role == ServiceRole.Active ? observed.ActiveService : observed.PreviewService;
                var started = Stopwatch.GetTimestamp();
                await PointServiceAsync(resource, point, exists: existing is not null);
                return point.Role == ServiceRole.Active ? Stopwatch.GetElapsedTime(started) : null;
            default:
                return null;
        }
    }

    async Task PointServiceAsync(BlueGreenDeployment resource, PointService point, bool exists)
    {
        var ns = resource.Metadata.NamespaceProperty;
        var name = DesiredObjects.ServiceName(resource, point.Role);
        if (!exists)
        {
            try
            {
                await client.CoreV1.CreateNamespacedServiceAsync(DesiredObjects.Service(resource, point.Role, point.Color), ns,
                    fieldManager: WellKnown.FieldManager, cancellationToken: CancellationToken.None);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                // Someone created it between our read and our write: fall through to the selector patch.
            }
        }

        // The selector is an atomic map: one merge patch of both keys moves all traffic at once.
        var patch = new { spec = new { selector = DesiredObjects.Selector(resource, point.Color) } };
        await client.CoreV1.PatchNamespacedServiceAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), name, ns,
            fieldManager: WellKnown.FieldManager, cancellationToken: CancellationToken.None);
    }

    /// <summary>Writes status through the /status subresource; a 409 surfaces so the reconcile reruns from a fresh read.</summary>
    public async Task<BlueGreenDeployment> WriteStatusAsync(BlueGreenDeployment resource, BlueGreenDeploymentStatus status)
    {
        var body = new BlueGreenDeployment { Metadata = resource.Metadata, Spec = resource.Spec, Status = status };
        return await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<BlueGreenDeployment>(
            body, WellKnown.Group, WellKnown.Version, resource.Metadata.NamespaceProperty, WellKnown.Plural, resource.Metadata.Name,
            fieldManager: WellKnown.FieldManager, cancellationToken: CancellationToken.None);
    }

    public async Task ClearActionAsync(BlueGreenDeployment resource)
    {
        var patch = new Dictionary<string, object>
        {
            ["metadata"] = new Dictionary<string, object> { ["annotations"] = new Dictionary<string, object?> { [WellKnown.ActionAnnotation] = null } },
        };
        await client.CustomObjects.PatchNamespacedCustomObjectAsync<BlueGreenDeployment>(
            new V1Patch(patch, V1Patch.PatchType.MergePatch), WellKnown.Group, WellKnown.Version,
            resource.Metadata.NamespaceProperty, WellKnown.Plural, resource.Metadata.Name,
            fieldManager: WellKnown.FieldManager, cancellationToken: CancellationToken.None);
    }

    public async Task RecordEventAsync(BlueGreenDeployment resource, RolloutEvent rolloutEvent)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var body = new Corev1Event
        {
            Metadata = new V1ObjectMeta
            {
                GenerateName = resource.Metadata.Name + ".",
                NamespaceProperty = resource.Metadata.NamespaceProperty,
            },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = WellKnown.ApiVersion,
                Kind = WellKnown.Kind,
                Name = resource.Metadata.Name,
                NamespaceProperty = resource.Metadata.NamespaceProperty,
                Uid = resource.Metadata.Uid,
                ResourceVersion = resource.Metadata.ResourceVersion,
            },
            Reason = rolloutEvent.Reason,
            Message = rolloutEvent.Message.Length > 1000 ? rolloutEvent.Message[..1000] : rolloutEvent.Message,
            Type = rolloutEvent.Kind == EventKind.Warning ? "Warning" : "Normal",
            Source = new V1EventSource { Component = WellKnown.ManagedByValue },
            ReportingComponent = WellKnown.ManagedByValue,
            ReportingInstance = Environment.MachineName,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        };
        await client.CoreV1.CreateNamespacedEventAsync(body, resource.Metadata.NamespaceProperty, cancellationToken: CancellationToken.None);
    }

    static bool IsOwnedBy(V1ObjectMeta metadata, BlueGreenDeployment resource) =>
        metadata.OwnerReferences?.Any(o => o.Uid == resource.Metadata.Uid) == true;

    static async Task<T?> OrNull<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}

/// <summary>An object with one of our names belongs to someone else: we never take it over.</summary>
internal sealed class OwnershipConflictException(string message) : Exception(message);
