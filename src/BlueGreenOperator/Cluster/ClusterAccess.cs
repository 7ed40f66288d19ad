using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using BlueGreenOperator.Api;
using BlueGreenOperator.Reconciliation;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Runtime;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BlueGreenOperator.Cluster;

/// <summary>
/// Every write the operator sends. Each carries a precondition where the API allows one (the resourceVersion the
/// decision was made on), so a write decided on a stale view fails instead of acting; each response goes into the
/// caches at once. A colour's Deployment always gets its whole pod template (hand edits reverted) and an annotation
/// with the hash of the template as the API server stores it, which later observations compare to find hand edits.
/// </summary>
internal sealed class ClusterAccess(IKubernetes client, ClusterCaches caches, TimeProvider time) : IClusterWrites
{
    public async Task<BlueGreenDeployment> WriteStatusAsync(BlueGreenDeployment resource, BlueGreenDeploymentStatus status)
    {
        var body = new BlueGreenDeployment { Metadata = resource.Metadata, Spec = resource.Spec, Status = status };
        var written = await Guard("status", () => client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<BlueGreenDeployment>(
            body, WellKnown.Group, WellKnown.Version, resource.Metadata.NamespaceProperty, WellKnown.Plural, resource.Metadata.Name,
            fieldManager: WellKnown.FieldManager, cancellationToken: CancellationToken.None));
        caches.Resources.Upsert(written);
        return written;
    }

    public async Task RemoveActionAsync(BlueGreenDeployment resource, string value)
    {
        var path = "/metadata/annotations/" + WellKnown.ActionAnnotation.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);
        var patch = new JsonArray(
            new JsonObject { ["op"] = "test", ["path"] = path, ["value"] = value },
            new JsonObject { ["op"] = "remove", ["path"] = path });
        var written = await Guard("action annotation", () => client.CustomObjects.PatchNamespacedCustomObjectAsync<BlueGreenDeployment>(
            new V1Patch(patch.ToJsonString(), V1Patch.PatchType.JsonPatch), WellKnown.Group, WellKnown.Version,
            resource.Metadata.NamespaceProperty, WellKnown.Plural, resource.Metadata.Name,
            fieldManager: WellKnown.FieldManager, cancellationToken: CancellationToken.None));
        caches.Resources.Upsert(written);
    }

    /// <summary>Writes that commit a decision are not cancelled half-way.</summary>
    public Task ExecuteAsync(BlueGreenDeployment resource, RolloutStep step) => step switch
    {
        ApplyDeployment apply => ApplyAsync(resource, apply),
        ScaleDeployment scale => ScaleAsync(resource, scale),
        PointService point => PointServiceAsync(resource, point),
        RecordTemplate record => RecordTemplateAsync(resource, record),
        PruneTemplates prune => PruneAsync(resource, prune),
        _ => Task.CompletedTask,
    };

    async Task ApplyAsync(BlueGreenDeployment resource, ApplyDeployment apply)
    {
        var ns = resource.Metadata.NamespaceProperty;
        var name = DesiredObjects.DeploymentName(resource, apply.Color);
        var template = await TemplateOfAsync(resource, apply.Revision);
        var desired = DesiredObjects.Deployment(resource, apply, template);
        var live = caches.Deployments.Get(ns, name);
        V1Deployment written;
        if (live is null)
        {
            // A dry run shows the template as the API server will store it (defaults, mutating admission): its hash goes in.
            var dryRun = await CreateAsync("Deployment", name, caches.Deployments, () => client.AppsV1.CreateNamespacedDeploymentAsync(
                desired, ns, dryRun: "All", fieldManager: WellKnown.FieldManager, cancellationToken: CancellationToken.None),
                () => client.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: CancellationToken.None), resource);
            Annotate(desired.Metadata, Observation.TemplateHash(dryRun.Spec.Template));
            written = await CreateAsync("Deployment", name, caches.Deployments, () => client.AppsV1.CreateNamespacedDeploymentAsync(
                desired, ns, fieldManager: WellKnown.FieldManager, cancellationToken: CancellationToken.None),
                () => client.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: CancellationToken.None), resource);
        }
        else
        {
            var patch = ReplacementPatch(desired, live.Metadata.ResourceVersion);
            var dryRun = await Guard($"Deployment {name}", () => client.AppsV1.PatchNamespacedDeploymentAsync(
                new V1Patch(patch.ToJsonString(), V1Patch.PatchType.StrategicMergePatch), name, ns,
                dryRun: "All", fieldManager: WellKnown.FieldManager, cancellationToken: CancellationToken.None));
            patch["metadata"]!["annotations"]![WellKnown.TemplateHashAnnotation] = Observation.TemplateHash(dryRun.Spec.Template);
            written = await Guard($"Deployment {name}", () => client.AppsV1.PatchNamespacedDeploymentAsync(
                new V1Patch(patch.ToJsonString(), V1Patch.PatchType.StrategicMergePatch), name, ns,
                fieldManager: WellKnown.FieldManager, cancellationToken: CancellationToken.None));
        }

        // An admission webhook that mutates differently each time would make the dry run's hash wrong: record the real one.
        var stored = Observation.TemplateHash(written.Spec.Template);
        if (written.Metadata.Annotations?.TryGetValue(WellKnown.TemplateHashAnnotation, out var recorded) != true || recorded != stored)
        {
            var annotation = new JsonObject
            {
                ["metadata"] = new JsonObject
                {
                    ["resourceVersion"] = written.Metadata.ResourceVersion,
                    ["annotations"] = new JsonObject { [WellKnown.TemplateHashAnnotation] = stored },
                },
            };
            written = await Guard($"Deployment {name}", () => client.AppsV1.PatchNamespacedDeploymentAsync(
                new V1Patch(annotation.ToJsonString(), V1Patch.PatchType.MergePatch), name, ns,
                fieldManager: WellKnown.FieldManager, cancellationToken: CancellationToken.None));
        }

        caches.Deployments.Upsert(written);
    }

    /// <summary>
    /// One field of a Kubernetes model as JSON, written through the model's declared types: a field's runtime type
    /// (a <c>List</c>, a <c>Dictionary</c>) has no JSON contract of its own in the natively compiled operator.
    /// </summary>
    static JsonNode? FieldOf(object model, string field)
    {
        var json = JsonNode.Parse(KubernetesJson.Serialize(model))!.AsObject();
        var value = json[field];
        json.Remove(field);
        return value;
    }

    /// <summary>
    /// A strategic merge patch that replaces the pod template whole (so fields added by hand go too), sets size and
    /// our labels, and only applies to the version the decision saw.
    /// </summary>
    static JsonObject ReplacementPatch(V1Deployment desired, string resourceVersion)
    {
        var template = JsonNode.Parse(KubernetesJson.Serialize(desired.Spec.Template))!.AsObject();
        template["$patch"] = "replace";
        return new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = resourceVersion,
                ["labels"] = FieldOf(desired.Metadata, "labels"),
                ["annotations"] = new JsonObject
                {
                    [WellKnown.StandbyPlacementAnnotation] = desired.Metadata.Annotations?.TryGetValue(WellKnown.StandbyPlacementAnnotation, out var placed) == true ? placed : null,
                },
                ["ownerReferences"] = FieldOf(desired.Metadata, "ownerReferences"),
            },
            ["spec"] = new JsonObject
            {
                ["replicas"] = desired.Spec.Replicas,
                ["progressDeadlineSeconds"] = desired.Spec.ProgressDeadlineSeconds,
                ["template"] = template,
            },
        };
    }

    static void Annotate(V1ObjectMeta metadata, string templateHash)
    {
        metadata.Annotations ??= new Dictionary<string, string>();
        metadata.Annotations[WellKnown.TemplateHashAnnotation] = templateHash;
    }

    /// <summary>The pod template of a revision: the spec's own (recorded first, for later), or the recorded one.</summary>
    async Task<V1PodTemplateSpec> TemplateOfAsync(BlueGreenDeployment resource, string revision)
    {
        var ns = resource.Metadata.NamespaceProperty;
        var name = TemplateName(resource, revision);
        if (revision == RevisionHash.Compute(resource.Spec))
        {
            if (caches.Templates.Get(ns, name) is null)
                await CreateTemplateAsync(resource, revision, resource.Spec.Model.Version, resource.Spec.Template);
            return resource.Spec.Template;
        }

        if (caches.Templates.Get(ns, name) is { } recorded)
            return RecordedTemplate.Read(recorded).Template;
        return caches.Memory.Get(resource.Metadata.Uid ?? "", revision)?.Template
            ?? throw new WriteRefusedException(404, "TemplateNotKept", $"the template of revision {revision} is not kept (ControllerRevision {name} is gone)");
    }

    async Task CreateTemplateAsync(BlueGreenDeployment resource, string revision, string modelVersion, V1PodTemplateSpec template)
    {
        var labels = DesiredObjects.Labels(resource);
        labels[WellKnown.RevisionLabel] = revision;
        var body = new V1ControllerRevision
        {
            ApiVersion = "apps/v1",
            Kind = "ControllerRevision",
            Metadata = new V1ObjectMeta
            {
                Name = TemplateName(resource, revision),
                NamespaceProperty = resource.Metadata.NamespaceProperty,
                Labels = labels,
                OwnerReferences = [DesiredObjects.OwnerReference(resource)],
            },
            Revision = resource.Metadata.Generation ?? 1,
            Data = RecordedTemplate.Write(modelVersion, template),
        };
        try
        {
            var created = await CreateAsync("ControllerRevision", body.Metadata.Name, caches.Templates, () => client.AppsV1.CreateNamespacedControllerRevisionAsync(
                body, resource.Metadata.NamespaceProperty, fieldManager: WellKnown.FieldManager, cancellationToken: CancellationToken.None),
                () => client.AppsV1.ReadNamespacedControllerRevisionAsync(body.Metadata.Name, resource.Metadata.NamespaceProperty, cancellationToken: CancellationToken.None), resource);
            caches.Templates.Upsert(created);
        }
        catch (WriteConflictException)
        {
            // Already recorded (and now in the cache): a revision's template never changes.
        }
    }

    public static string TemplateName(BlueGreenDeployment resource, string revision) => $"{resource.Metadata.Name}-{revision}";

    async Task ScaleAsync(BlueGreenDeployment resource, ScaleDeployment scale)
    {
        var ns = resource.Metadata.NamespaceProperty;
        var name = DesiredObjects.DeploymentName(resource, scale.Color);
        var live = caches.Deployments.Get(ns, name) ?? throw new WriteConflictException($"Deployment {name} is gone");
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject { ["resourceVersion"] = live.Metadata.ResourceVersion },
            ["spec"] = new JsonObject { ["replicas"] = scale.Replicas },
        };
        var written = await Guard($"Deployment {name}", () => client.AppsV1.PatchNamespacedDeploymentAsync(
            new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), name, ns,
            fieldManager: WellKnown.FieldManager, cancellationToken: CancellationToken.None));
        caches.Deployments.Upsert(written);
    }

    async Task PointServiceAsync(BlueGreenDeployment resource, PointService point)
    {
        var ns = resource.Metadata.NamespaceProperty;
        var name = DesiredObjects.ServiceName(resource, point.Role);
        var desired = DesiredObjects.Service(resource, point.Role, point.Color, point.PodTemplateHash);
        var live = caches.Services.Get(ns, name);
        var started = Stopwatch.GetTimestamp();
        V1Service written;
        if (live is null)
        {
            written = await CreateAsync("Service", name, caches.Services, () => client.CoreV1.CreateNamespacedServiceAsync(
                desired, ns, fieldManager: WellKnown.FieldManager, cancellationToken: CancellationToken.None),
                () => client.CoreV1.ReadNamespacedServiceAsync(name, ns, cancellationToken: CancellationToken.None), resource);
        }
        else
        {
            // One merge patch moves all traffic at once; keys of the live selector that must go are set to null.
            var selector = new JsonObject();
            foreach (var key in live.Spec?.Selector?.Keys ?? [])
                selector[key] = null;
            foreach (var (key, value) in desired.Spec.Selector)
                selector[key] = value;
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject { ["resourceVersion"] = live.Metadata.ResourceVersion },
                ["spec"] = new JsonObject
                {
                    ["selector"] = selector,
                    ["ports"] = FieldOf(desired.Spec, "ports"),
                },
            };
            written = await Guard($"Service {name}", () => client.CoreV1.PatchNamespacedServiceAsync(
                new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), name, ns,
                fieldManager: WellKnown.FieldManager, cancellationToken: CancellationToken.None));
        }

        OperatorTelemetry.ServiceWriteDuration.Record(
            Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>("role", point.Role == ServiceRole.Active ? "active" : "preview"));
        caches.Services.Upsert(written);
    }

    async Task RecordTemplateAsync(BlueGreenDeployment resource, RecordTemplate record)
    {
        if (caches.Memory.Get(resource.Metadata.Uid ?? "", record.Revision) is { } remembered)
        {
            await CreateTemplateAsync(resource, record.Revision, remembered.ModelVersion, remembered.Template);
            return;
        }

        var ns = resource.Metadata.NamespaceProperty;
        var name = DesiredObjects.DeploymentName(resource, record.Color);
        var observed = caches.Deployments.Get(ns, name) ?? throw new WriteConflictException($"Deployment {name} is gone");

        // The cache keeps only the template's hash: the template is read live, and recorded only if it is the one observed.
        var live = await Guard($"Deployment {name}", () => client.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: CancellationToken.None));
        var labels = live.Metadata.Labels ?? new Dictionary<string, string>();
        if (!Observation.IsOwnedBy(live.Metadata, resource)
            || !labels.TryGetValue(WellKnown.RevisionLabel, out var revision) || revision != record.Revision
            || Observation.TemplateHash(live.Spec?.Template) != Observation.LiveTemplateHash(observed))
        {
            caches.Deployments.Upsert(live);
            throw new WriteConflictException($"Deployment {name} changed since it was observed; its template is not recorded as revision {record.Revision}");
        }

        await CreateTemplateAsync(resource, record.Revision, labels.TryGetValue(WellKnown.ModelVersionLabel, out var version) ? version : "", live.Spec!.Template);
    }

    async Task PruneAsync(BlueGreenDeployment resource, PruneTemplates prune)
    {
        var ns = resource.Metadata.NamespaceProperty;
        foreach (var revision in prune.Revisions)
        {
            var name = TemplateName(resource, revision);
            try
            {
                await Guard($"ControllerRevision {name}", () => client.AppsV1.DeleteNamespacedControllerRevisionAsync(
                    name, ns, cancellationToken: CancellationToken.None));
            }
            catch (WriteConflictException)
            {
                // Gone already.
            }

            caches.Templates.Forget(ns, name);
            caches.Memory.Forget(resource.Metadata.Uid ?? "", revision);
        }
    }

    public async Task RecordEventAsync(BlueGreenDeployment resource, RolloutEvent rolloutEvent)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var involved = new V1ObjectReference
        {
            ApiVersion = WellKnown.ApiVersion,
            Kind = WellKnown.Kind,
            Name = resource.Metadata.Name,
            NamespaceProperty = resource.Metadata.NamespaceProperty,
            Uid = resource.Metadata.Uid,
            ResourceVersion = resource.Metadata.ResourceVersion,
        };
        var body = ObjectEvent.Build(involved, rolloutEvent.Reason, RolloutPlanner.Truncate(rolloutEvent.Message, 1000),
            rolloutEvent.Kind == EventKind.Warning ? "Warning" : "Normal", now);
        await Guard("Event", () => client.CoreV1.CreateNamespacedEventAsync(body, resource.Metadata.NamespaceProperty, cancellationToken: CancellationToken.None));
    }

    /// <summary>
    /// A create; when the name is taken, the object is read: ours (the caches missed it, e.g. its labels were
    /// edited) goes into the cache and the decision is made again; someone else's is a name conflict.
    /// </summary>
    static async Task<T> CreateAsync<T>(string kind, string name, KindCache<T> cache, Func<Task<T>> create, Func<Task<T>> read, BlueGreenDeployment resource)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        try
        {
            return await Guard($"{kind} {name}", create);
        }
        catch (WriteConflictException e) when (e.InnerException is HttpOperationException { Response.StatusCode: HttpStatusCode.Conflict })
        {
            var existing = await Guard($"{kind} {name}", read);
            if (!Observation.IsOwnedBy(existing.Metadata, resource))
                throw new NameConflictException(kind, name);
            cache.Upsert(existing);
            throw;
        }
    }

    /// <summary>Sorts a failed write into a conflict (decide again from a fresh view) or a refusal (report it, back off).</summary>
    static async Task<T> Guard<T>(string what, Func<Task<T>> write)
    {
        try
        {
            return await write();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            throw new WriteConflictException($"{what}: {(int)e.Response.StatusCode} {Describe(e).Message}", e);
        }
        catch (HttpOperationException e)
        {
            var (reason, message) = Describe(e);
            throw new WriteRefusedException((int)e.Response.StatusCode, reason, $"{what}: {message}", e);
        }
    }

    static (string Reason, string Message) Describe(HttpOperationException e)
    {
        try
        {
            var status = KubernetesJson.Deserialize<V1Status>(e.Response.Content ?? "");
            if (status?.Message is { Length: > 0 } message)
                return (status.Reason ?? e.Response.ReasonPhrase ?? "", message);
        }
        catch (JsonException)
        {
        }

        return (e.Response.ReasonPhrase ?? e.Response.StatusCode.ToString(), e.Message);
    }
}

/// <summary>A revision's pod template kept in a ControllerRevision (as StatefulSets and DaemonSets keep theirs).</summary>
internal sealed record RecordedTemplate(string ModelVersion, V1PodTemplateSpec Template)
{
    public static object Write(string modelVersion, V1PodTemplateSpec template) => new JsonObject
    {
        ["modelVersion"] = modelVersion,
        ["template"] = JsonNode.Parse(KubernetesJson.Serialize(template)),
    };

    public static RecordedTemplate Read(V1ControllerRevision revision)
    {
        if (revision.Data is RecordedTemplate parsed)
            return parsed;
        var data = revision.Data switch
        {
            JsonElement element => JsonNode.Parse(element.GetRawText()),
            JsonNode node => node,
            null => null,
            var other => JsonNode.Parse(KubernetesJson.Serialize(other)),
        };
        var template = data?["template"] is { } t ? KubernetesJson.Deserialize<V1PodTemplateSpec>(t.ToJsonString()) : new V1PodTemplateSpec();
        return new RecordedTemplate(data?["modelVersion"]?.GetValue<string>() ?? "", template);
    }
}
