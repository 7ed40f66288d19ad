using BlueGreenOperator.Api;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Rollout;

/// <summary>The objects the operator owns, exactly as it wants them: the input of server-side apply and creates.</summary>
public static class DesiredObjects
{
    public static string DeploymentName(BlueGreenDeployment resource, Color color) => $"{resource.Metadata.Name}-{color.Label()}";

    public static string ServiceName(BlueGreenDeployment resource, ServiceRole role) =>
        role == ServiceRole.Active ? resource.Spec.Service.Name : SpecValidator.PreviewServiceName(resource.Spec.Service);

    /// <summary>What a Deployment selects: the pods of one colour.</summary>
    public static Dictionary<string, string> Selector(BlueGreenDeployment resource, Color color) => Selector(resource, color, null);

    /// <summary>
    /// What a Service selects to send traffic to one colour: with a pod-template-hash, only the pods made from that
    /// template (the tested one), so that no hand edit of the Deployment can put other pods behind the Service.
    /// </summary>
    public static Dictionary<string, string> Selector(BlueGreenDeployment resource, Color color, string? podTemplateHash)
    {
        var selector = new Dictionary<string, string>
        {
            [WellKnown.InstanceLabel] = resource.Metadata.Name,
            [WellKnown.ColorLabel] = color.Label(),
        };
        if (podTemplateHash is not null)
            selector[WellKnown.PodTemplateHashLabel] = podTemplateHash;
        return selector;
    }

    public static Dictionary<string, string> Labels(BlueGreenDeployment resource) => new()
    {
        [WellKnown.ManagedByLabel] = WellKnown.ManagedByValue,
        [WellKnown.InstanceLabel] = resource.Metadata.Name,
    };

    public static V1OwnerReference OwnerReference(BlueGreenDeployment resource) => new()
    {
        ApiVersion = WellKnown.ApiVersion,
        Kind = WellKnown.Kind,
        Name = resource.Metadata.Name,
        Uid = resource.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    /// <summary>The colour's Deployment for <paramref name="step"/>, with the pod template of its revision.</summary>
    public static V1Deployment Deployment(BlueGreenDeployment resource, ApplyDeployment step, V1PodTemplateSpec revisionTemplate)
    {
        var labels = Labels(resource);
        labels[WellKnown.ColorLabel] = step.Color.Label();
        labels[WellKnown.RevisionLabel] = step.Revision;
        labels[WellKnown.ModelVersionLabel] = step.ModelVersion;

        // A deep copy: the spec's template must stay untouched for the revision hash.
        var template = KubernetesJson.Deserialize<V1PodTemplateSpec>(KubernetesJson.Serialize(revisionTemplate));
        template.Metadata ??= new V1ObjectMeta();
        var podLabels = template.Metadata.Labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(template.Metadata.Labels);
        foreach (var (key, value) in labels)
            podLabels[key] = value;
        template.Metadata.Labels = podLabels;
        if (step.Standby && resource.Spec.Strategy?.Standby is { } placement)
            Place(template, placement);

        return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = new V1ObjectMeta
            {
                Name = DeploymentName(resource, step.Color),
                NamespaceProperty = resource.Metadata.NamespaceProperty,
                Labels = labels,
                Annotations = step.Standby ? new Dictionary<string, string> { [WellKnown.StandbyPlacementAnnotation] = "true" } : null,
                OwnerReferences = [OwnerReference(resource)],
            },
            Spec = new V1DeploymentSpec
            {
                Replicas = step.Replicas,
                Selector = new V1LabelSelector { MatchLabels = Selector(resource, step.Color) },
                Template = template,
                ProgressDeadlineSeconds = resource.Spec.Strategy?.ProgressDeadlineSeconds ?? 600,
            },
        };
    }

    /// <summary>The standby's placement and size overrides on a copy of the revision's template (strategy.standby).</summary>
    static void Place(V1PodTemplateSpec template, StandbyPlacementSpec placement)
    {
        var pod = template.Spec ??= new V1PodSpec();
        if (placement.NodeSelector is { Count: > 0 } selector)
            pod.NodeSelector = new Dictionary<string, string>(selector);
        if (placement.Tolerations is { Count: > 0 } tolerations)
            pod.Tolerations = [.. pod.Tolerations ?? [], .. tolerations];
        if (placement.Affinity is { } affinity)
            pod.Affinity = affinity;
        if (placement.Resources is { } resources)
        {
            foreach (var container in pod.Containers ?? [])
                container.Resources = KubernetesJson.Deserialize<V1ResourceRequirements>(KubernetesJson.Serialize(resources));
        }
    }

    public static V1Service Service(BlueGreenDeployment resource, ServiceRole role, Color color, string? podTemplateHash)
    {
        var labels = Labels(resource);
        labels[WellKnown.Group + "/service-role"] = role == ServiceRole.Active ? "active" : "preview";
        return new V1Service
        {
            ApiVersion = "v1",
            Kind = "Service",
            Metadata = new V1ObjectMeta
            {
                Name = ServiceName(resource, role),
                NamespaceProperty = resource.Metadata.NamespaceProperty,
                Labels = labels,
                OwnerReferences = [OwnerReference(resource)],
            },
            Spec = new V1ServiceSpec
            {
                Type = "ClusterIP",
                Selector = Selector(resource, color, podTemplateHash),
                Ports = Ports(resource),
            },
        };
    }

    public static List<V1ServicePort> Ports(BlueGreenDeployment resource) =>
        [.. resource.Spec.Service.Ports.Select(p => new V1ServicePort
        {
            Name = p.Name,
            Port = p.Port,
            TargetPort = p.TargetPort,
            Protocol = p.Protocol ?? "TCP",
        })];
}
