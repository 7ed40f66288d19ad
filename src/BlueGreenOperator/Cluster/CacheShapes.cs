using BlueGreenOperator.Api;
using k8s.Models;

namespace BlueGreenOperator.Cluster;

/// <summary>
/// What each kind keeps in the caches (the informers' transforms): only the fields observations and writes read, so
/// that an object costs its cache a few hundred bytes instead of its whole manifest. Every shape drops
/// <c>metadata.managedFields</c>; a pod keeps its identity, labels, address and Ready condition; a Deployment keeps
/// sizes, status counts and the hash of its pod template (computed here, before the template is dropped).
/// </summary>
internal static class CacheShapes
{
    /// <summary>The object itself is read whole by the planner: only what no one reads goes.</summary>
    public static BlueGreenDeployment Resource(BlueGreenDeployment resource)
    {
        resource.Metadata.ManagedFields = null;
        // `kubectl apply` keeps a second copy of the whole spec here.
        resource.Metadata.Annotations?.Remove(LastAppliedAnnotation);
        return resource;
    }

    public static V1Pod Pod(V1Pod pod) => new()
    {
        ApiVersion = pod.ApiVersion,
        Kind = pod.Kind,
        Metadata = Identity(pod.Metadata, ownerReferences: false),
        Status = new V1PodStatus
        {
            PodIP = pod.Status?.PodIP,
            // Ready, and the scheduler's refusal (PodScheduled False, Unschedulable) with its words for InsufficientCapacity.
            Conditions = pod.Status?.Conditions?
                .Where(c => c.Type == "Ready" || c.Type == "PodScheduled" && c.Status == "False")
                .Select(c => new V1PodCondition { Type = c.Type, Status = c.Status, Reason = c.Type == "Ready" ? null : c.Reason, Message = c.Type == "Ready" ? null : c.Message })
                .ToList(),
        },
    };

    /// <summary>The pod template goes; its hash stays (<see cref="Observation.LiveTemplateHash"/>), computed from it first.</summary>
    public static V1Deployment Deployment(V1Deployment deployment)
    {
        var shaped = new V1Deployment
        {
            ApiVersion = deployment.ApiVersion,
            Kind = deployment.Kind,
            Metadata = Identity(deployment.Metadata, ownerReferences: true),
            Spec = new V1DeploymentSpec { Replicas = deployment.Spec?.Replicas },
            Status = deployment.Status is { } status
                ? new V1DeploymentStatus
                {
                    ObservedGeneration = status.ObservedGeneration,
                    Replicas = status.Replicas,
                    UpdatedReplicas = status.UpdatedReplicas,
                    AvailableReplicas = status.AvailableReplicas,
                }
                : null,
        };
        shaped.Metadata.Generation = deployment.Metadata.Generation;
        // The operator's own annotations: the template hash it wrote, and whether the template carries the standby placement.
        var kept = deployment.Metadata.Annotations?
            .Where(a => a.Key is WellKnown.TemplateHashAnnotation or WellKnown.StandbyPlacementAnnotation)
            .ToDictionary(a => a.Key, a => a.Value);
        if (kept is { Count: > 0 })
            shaped.Metadata.Annotations = kept;
        Observation.KeepTemplateHash(shaped, deployment.Spec?.Template);
        return shaped;
    }

    public static V1Service Service(V1Service service) => new()
    {
        ApiVersion = service.ApiVersion,
        Kind = service.Kind,
        Metadata = Identity(service.Metadata, ownerReferences: true),
        Spec = new V1ServiceSpec { Selector = service.Spec?.Selector, Ports = service.Spec?.Ports },
    };

    /// <summary>The recorded template is parsed once, here, and the parsed form shared with <see cref="TemplateMemory"/>.</summary>
    public static V1ControllerRevision Template(V1ControllerRevision revision)
    {
        revision.Metadata.ManagedFields = null;
        revision.Data = RecordedTemplate.Read(revision);
        return revision;
    }

    const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    static V1ObjectMeta Identity(V1ObjectMeta metadata, bool ownerReferences) => new()
    {
        Name = metadata.Name,
        NamespaceProperty = metadata.NamespaceProperty,
        Uid = metadata.Uid,
        ResourceVersion = metadata.ResourceVersion,
        Labels = metadata.Labels,
        DeletionTimestamp = metadata.DeletionTimestamp,
        OwnerReferences = ownerReferences ? metadata.OwnerReferences : null,
    };
}
