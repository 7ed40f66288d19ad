using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Runtime;

namespace BlueGreenOperator.Reconciliation;

/// <summary>What the cluster holds about one BlueGreenDeployment, as the reconciler observes it.</summary>
public sealed record ObservedWorld(
    ObservedDeployment? Blue,
    ObservedDeployment? Green,
    ObservedService? ActiveService,
    ObservedService? PreviewService,
    IReadOnlyList<ObservedPod> Pods,
    IReadOnlySet<string> Templates,
    string? NameConflict)
{
    /// <summary>Revisions whose kept template was deleted but is still remembered by this process.</summary>
    public IReadOnlySet<string> RememberedTemplates { get; init; } = new HashSet<string>();
}

/// <summary>
/// Reads: from the informers' caches, which also hold the operator's own writes at once. The API server is read live
/// only where a decision must not act on a stale view (<see cref="ReadFreshAsync"/>).
/// </summary>
internal interface IClusterState
{
    BlueGreenDeployment? Resource(ObjectKey key);

    /// <summary>Reads the object from the API server and puts it in the cache; null when it is gone.</summary>
    Task<BlueGreenDeployment?> ReadFreshAsync(ObjectKey key, CancellationToken ct);

    ObservedWorld Observe(BlueGreenDeployment resource);

    /// <summary>The ready pods of a colour at a revision: the targets of checks.</summary>
    IReadOnlyList<CheckTarget> CheckTargets(BlueGreenDeployment resource, Color color, string revision);

    /// <summary>
    /// Reads the objects the operator would create for this object (both Deployments, both Services) live, once
    /// before its first release builds anything: the caches hold only the operator's own objects, so an existing
    /// Service of someone else's is found here rather than after a colour was built in front of it.
    /// </summary>
    Task<NameConflictException?> FindForeignAsync(BlueGreenDeployment resource, CancellationToken ct);

    /// <summary>Drops what is remembered of a deleted object.</summary>
    void Forget(string uid);

    /// <summary>Reads an object live: true while it exists and belongs to someone else (a name conflict still stands).</summary>
    Task<bool> IsForeignAsync(BlueGreenDeployment resource, NameConflictException conflict, CancellationToken ct);
}

/// <summary>
/// Writes. Each one carries a precondition where the API allows it (the object's resourceVersion as observed), so a
/// write decided on a stale view fails with <see cref="WriteConflictException"/> instead of acting.
/// </summary>
internal interface IClusterWrites
{
    /// <summary>Writes status with the object's resourceVersion as precondition; returns the object as written.</summary>
    Task<BlueGreenDeployment> WriteStatusAsync(BlueGreenDeployment resource, BlueGreenDeploymentStatus status);

    /// <summary>Removes the action annotation only if it still holds <paramref name="value"/>: a newer action is never dropped.</summary>
    Task RemoveActionAsync(BlueGreenDeployment resource, string value);

    Task ExecuteAsync(BlueGreenDeployment resource, RolloutStep step);

    Task RecordEventAsync(BlueGreenDeployment resource, RolloutEvent rolloutEvent);
}

/// <summary>The API server refused a write because of what changed since it was decided (409, a failed precondition, a vanished object).</summary>
internal sealed class WriteConflictException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A create met an object with the same name that this BlueGreenDeployment does not own (not in the caches, which
/// hold only the operator's objects): it is never taken over.
/// </summary>
internal sealed class NameConflictException(string kind, string name) : Exception($"{kind} {name} exists and is not owned by this BlueGreenDeployment; it is left alone")
{
    public string Kind { get; } = kind;

    public string Name { get; } = name;
}

/// <summary>The API server refused a write for another reason (admission, quota, validation, 5xx): retrying soon will not help.</summary>
internal sealed class WriteRefusedException(int statusCode, string reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public int StatusCode { get; } = statusCode;

    public string Reason { get; } = reason;
}
