using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;

namespace BlueGreenOperator.Notifications;

/// <summary>
/// A change of a BlueGreenDeployment that needs a person: a release paused for promotion, aborted or otherwise
/// Degraded, rolled back, or waiting for capacity. Built only from a decision already persisted in status.
/// </summary>
/// <param name="Id">Stable for one change of one object, so that a receiver can drop a repeat.</param>
public sealed record Notification(
    string Id,
    DateTimeOffset Time,
    string Namespace,
    string Name,
    string Reason,
    string Phase,
    string? PreviousPhase,
    string Message,
    string? Revision,
    string? ModelVersion,
    string? ActiveColor,
    string? ActiveModelVersion)
{
    public const string PausedForPromotion = "PausedForPromotion";
    public const string RolledBack = "RolledBack";
    public const string InsufficientCapacity = "InsufficientCapacity";

    /// <summary>
    /// The notifications one persisted decision gives: entering Paused, Degraded (with the Degraded condition's reason,
    /// e.g. SmokeTestsFailed or ProgressDeadlineExceeded) or RolledBack, and the once-per-episode InsufficientCapacity event.
    /// </summary>
    public static IReadOnlyList<Notification> For(BlueGreenDeployment resource, string? previousPhase, BlueGreenDeploymentStatus status, IEnumerable<RolloutEvent> events, DateTimeOffset now)
    {
        var found = new List<Notification>();
        var phase = status.Phase ?? "";
        if (phase != previousPhase)
        {
            var reason = phase switch
            {
                Rollout.Phase.Paused => PausedForPromotion,
                Rollout.Phase.RolledBack => RolledBack,
                Rollout.Phase.Degraded => StatusConditions.Find(status.Conditions, StatusConditions.Degraded)?.Reason ?? Rollout.Phase.Degraded,
                _ => null,
            };
            if (reason is not null)
                found.Add(Of(resource, previousPhase, status, reason, status.Message ?? "", now));
        }

        foreach (var capacity in events.Where(e => e.Reason == InsufficientCapacity))
            found.Add(Of(resource, previousPhase, status, InsufficientCapacity, capacity.Message, now));
        return found;
    }

    static Notification Of(BlueGreenDeployment resource, string? previousPhase, BlueGreenDeploymentStatus status, string reason, string message, DateTimeOffset now)
    {
        var revision = status.PreviewRevision ?? status.AbortedRevision ?? status.ActiveRevision;
        var modelVersion = status.PreviewModelVersion ?? resource.Spec.Model.Version;
        return new Notification(
            $"{resource.Metadata.Uid}/{reason}/{revision}/{resource.Metadata.Generation}",
            now,
            resource.Metadata.NamespaceProperty ?? "",
            resource.Metadata.Name,
            reason,
            status.Phase ?? "",
            previousPhase,
            message,
            revision,
            modelVersion,
            status.ActiveColor,
            status.ActiveModelVersion);
    }
}

/// <summary>Where notifications go; the operator's own configuration, never a BlueGreenDeployment's.</summary>
public interface INotifier
{
    /// <summary>Queues the notification and returns at once: delivery never delays a reconcile.</summary>
    void Notify(Notification notification);
}
