using k8s.Models;

namespace BlueGreenOperator.Runtime;

/// <summary>Maps an object the operator owns to the key of the object that owns it.</summary>
/// <param name="ownerKind">Kind of the owner, e.g. BlueGreenDeployment.</param>
/// <param name="ownerGroup">API group of the owner, e.g. bluegreen.dev.</param>
internal sealed class OwnerKeyResolver(string ownerKind, string ownerGroup)
{
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "bluegreen-operator";
    public const string InstanceLabel = "app.kubernetes.io/instance";

    /// <summary>The owner's key, or null when the object is not ours.</summary>
    public ObjectKey? Resolve(V1ObjectMeta metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        if (metadata.Labels is null
            || !metadata.Labels.TryGetValue(ManagedByLabel, out var managedBy)
            || managedBy != ManagedByValue)
        {
            return null;
        }

        var ns = metadata.NamespaceProperty ?? string.Empty;
        var owner = metadata.OwnerReferences?.FirstOrDefault(IsOwner);
        if (owner is not null)
        {
            return new ObjectKey(ns, owner.Name);
        }

        // Before the ownerReference is set (or if someone stripped it), the instance label still names the owner.
        return metadata.Labels.TryGetValue(InstanceLabel, out var instance) && !string.IsNullOrEmpty(instance)
            ? new ObjectKey(ns, instance)
            : null;
    }

    private bool IsOwner(V1OwnerReference reference) =>
        reference.Kind == ownerKind
        && reference.ApiVersion is { } apiVersion
        && apiVersion.StartsWith(ownerGroup + "/", StringComparison.Ordinal);
}
