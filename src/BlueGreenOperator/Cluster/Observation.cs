using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Rollout;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Cluster;

/// <summary>Turns the Kubernetes objects the operator owns into what the planner observes.</summary>
internal static class Observation
{
    static readonly ConditionalWeakTable<V1Deployment, string> TemplateHashes = [];

    /// <summary>
    /// The hash of a Deployment's pod template as the API server holds it (canonical JSON, SHA-256): written as
    /// an annotation with every write of the operator, compared on every observation to find hand edits.
    /// </summary>
    public static string TemplateHash(V1PodTemplateSpec? template)
    {
        var canonical = RevisionHash.Canonicalize(JsonNode.Parse(KubernetesJson.Serialize(template ?? new V1PodTemplateSpec())))?.ToJsonString() ?? "null";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)))[..16];
    }

    /// <summary>The live template's hash, computed once per cached object.</summary>
    public static string LiveTemplateHash(V1Deployment deployment) =>
        TemplateHashes.GetValue(deployment, d => TemplateHash(d.Spec?.Template));

    public static bool IsOwnedBy(V1ObjectMeta metadata, BlueGreenDeployment resource) =>
        metadata.OwnerReferences?.Any(o => o.Uid == resource.Metadata.Uid) == true;

    public static ObservedDeployment Deployment(V1Deployment deployment, BlueGreenDeployment resource, Color color)
    {
        var labels = deployment.Metadata.Labels ?? new Dictionary<string, string>();
        var annotations = deployment.Metadata.Annotations ?? new Dictionary<string, string>();
        var status = deployment.Status ?? new V1DeploymentStatus();
        var revision = labels.TryGetValue(WellKnown.RevisionLabel, out var r) ? r : null;
        var modelVersion = labels.TryGetValue(WellKnown.ModelVersionLabel, out var m) ? m : null;
        var intact = annotations.TryGetValue(WellKnown.TemplateHashAnnotation, out var recorded)
            && recorded == LiveTemplateHash(deployment)
            && DesiredObjects.Labels(resource).All(l => labels.TryGetValue(l.Key, out var value) && value == l.Value)
            && labels.TryGetValue(WellKnown.ColorLabel, out var c) && c == color.Label();
        return new ObservedDeployment(
            color, revision, modelVersion,
            deployment.Spec?.Replicas ?? 1,
            deployment.Metadata.Generation ?? 0,
            status.ObservedGeneration ?? 0,
            status.Replicas ?? 0,
            status.UpdatedReplicas ?? 0,
            status.AvailableReplicas ?? 0,
            intact,
            annotations.TryGetValue(WellKnown.StandbyPlacementAnnotation, out var placed) && placed == "true");
    }

    public static ObservedService Service(V1Service service) => new(
        service.Metadata.Name,
        service.Spec?.Selector is { } selector ? new Dictionary<string, string>(selector) : new Dictionary<string, string>(),
        [.. (service.Spec?.Ports ?? []).Select(p => new ServicePortSpec
        {
            Name = p.Name,
            Port = p.Port,
            TargetPort = int.TryParse(p.TargetPort?.Value, out var target) ? target : 0,
            Protocol = p.Protocol ?? "TCP",
        })]);

    /// <summary>Our pods that are not terminating; null for a pod that is not of one of our colours.</summary>
    public static ObservedPod? Pod(V1Pod pod)
    {
        if (pod.Metadata.DeletionTimestamp is not null)
            return null;
        var labels = pod.Metadata.Labels ?? new Dictionary<string, string>();
        if (!labels.TryGetValue(WellKnown.ColorLabel, out var colorLabel) || ColorNames.Parse(colorLabel) is not { } color)
            return null;
        return new ObservedPod(
            pod.Metadata.Name,
            color,
            labels.TryGetValue(WellKnown.RevisionLabel, out var revision) ? revision : null,
            labels.TryGetValue(WellKnown.PodTemplateHashLabel, out var hash) ? hash : null,
            IsReady(pod),
            pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled" && c.Status == "False" && c.Reason == "Unschedulable") is { } unschedulable
                ? unschedulable.Message ?? "Unschedulable"
                : null);
    }

    public static bool IsReady(V1Pod pod) =>
        !string.IsNullOrEmpty(pod.Status?.PodIP) && pod.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    public static CheckTarget Target(V1Pod pod) => new(
        pod.Metadata.Name,
        pod.Status.PodIP,
        pod.Metadata.Labels is { } labels && labels.TryGetValue(WellKnown.PodTemplateHashLabel, out var hash) ? hash : null);
}
