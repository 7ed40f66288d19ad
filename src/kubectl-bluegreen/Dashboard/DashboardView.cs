using BlueGreenOperator.Plugin.Rendering;
using k8s.Models;

namespace BlueGreenOperator.Plugin.Dashboard;

/// <summary>One row of the dashboard's table: what a person scans hundreds of objects for.</summary>
internal sealed record ObjectRow(
    string Key,
    string Namespace,
    string Name,
    string Phase,
    string? DegradedReason,
    string? DesiredVersion,
    string? ActiveColor,
    string? ActiveVersion,
    string? StandbyColor,
    string? StandbyVersion,
    string? PreviewColor,
    string? PreviewVersion,
    string? PreviewRevision,
    IReadOnlyList<string> Actions,
    string? ResourceVersion);

/// <summary>One moment of an object's timeline: a phase it entered or a milestone its status records.</summary>
internal sealed record TimelineEntry(DateTime At, string Kind, string Text);

/// <summary>A phase the dashboard saw an object enter, and when it saw it.</summary>
internal sealed record PhaseSeen(string Phase, DateTime At);

/// <summary>One check result as the operator recorded it, under the stage that ran it.</summary>
internal sealed record CheckRow(string Stage, string Name, bool Passed, string? Pods, long? LatencyMs, string? FailingPods, string? Message);

/// <summary>One pod's warm-up as the operator recorded it.</summary>
internal sealed record WarmupRow(string Stage, string Pod, int Requests, int Failed, long FirstLatencyMs, long LastLatencyMs);

internal sealed record EventRow(string? Type, string? Reason, string? Message, int Count, DateTime LastSeen);

/// <summary>An action of the action table, whether it applies now and why, in the plugin's own words.</summary>
internal sealed record ActionRow(string Verb, bool Applies, string Explanation);

/// <summary>Everything the page shows for one selected object.</summary>
internal sealed record ObjectDetail(
    ObjectRow Row,
    string Meaning,
    string? Message,
    string? ToDo,
    IReadOnlyList<TimelineEntry> Timeline,
    IReadOnlyList<EventRow> Events,
    IReadOnlyList<CheckRow> Checks,
    IReadOnlyList<WarmupRow> Warmup,
    ParityStatus? Parity,
    DateTime? SwitchedAt,
    long? LastSwitchMilliseconds,
    DateTime? PromotedAt,
    DateTime? RollbackStartedAt,
    string? AbortedRevision,
    string? AbortedReason,
    IReadOnlyList<ActionRow> Actions);

/// <summary>The dashboard's view of an object: pure functions of the object, its events and the phases seen.</summary>
internal static class DashboardView
{
    public const int EventLimit = 50;

    public static string Key(string? ns, string? name) => $"{ns}/{name}";

    public static string Key(BlueGreenDeployment item) => Key(item.Metadata.NamespaceProperty, item.Metadata.Name);

    public static ObjectRow Row(BlueGreenDeployment item)
    {
        var status = item.Status;
        return new ObjectRow(
            Key(item),
            item.Metadata.NamespaceProperty,
            item.Metadata.Name,
            status?.Phase is { Length: > 0 } phase ? phase : "",
            status?.Phase == Phase.Degraded ? PhaseMeaning.DegradedReason(item) : null,
            item.Spec?.Model?.Version,
            status?.ActiveColor,
            status?.ActiveModelVersion,
            status?.StandbyColor,
            status?.StandbyModelVersion,
            status?.PreviewColor,
            status?.PreviewModelVersion,
            status?.PreviewRevision,
            ActionTable.Applicable(status),
            item.Metadata.ResourceVersion);
    }

    public static ObjectDetail Detail(BlueGreenDeployment item, IEnumerable<Corev1Event> events, IReadOnlyList<PhaseSeen> phases)
    {
        var status = item.Status;
        return new ObjectDetail(
            Row(item),
            PhaseMeaning.Describe(item),
            string.IsNullOrWhiteSpace(status?.Message) ? null : status.Message,
            PhaseMeaning.Reason(item)?.ToDo(item.Metadata.Name),
            Timeline(status, phases),
            [.. StatusView.RecentEvents(item, events, EventLimit).Select(e => new EventRow(e.Type, e.Reason, e.Message, e.Count ?? 1, StatusView.LastSeen(e)))],
            Checks(status),
            Warmup(status),
            status?.Parity,
            status?.SwitchedAt,
            status?.LastSwitchMilliseconds,
            status?.PromotedAt,
            status?.RollbackStartedAt,
            status?.AbortedRevision,
            status?.AbortedReason,
            [.. RolloutAction.All.Select(verb => Action(verb, status))]);
    }

    private static ActionRow Action(string verb, BlueGreenDeploymentStatus? status)
    {
        var applicability = Applicability.Of(verb, status);
        return new ActionRow(verb, applicability.Applies, applicability.Reason);
    }

    /// <summary>The phases seen, merged with the milestones status records, oldest first.</summary>
    public static IReadOnlyList<TimelineEntry> Timeline(BlueGreenDeploymentStatus? status, IReadOnlyList<PhaseSeen> phases)
    {
        var entries = phases.Select(p => new TimelineEntry(p.At, "phase", p.Phase)).ToList();
        void Milestone(DateTime? at, string text)
        {
            if (at is { } time)
            {
                entries.Add(new TimelineEntry(time, "milestone", text));
            }
        }

        Milestone(status?.ProgressStartedAt, $"release of revision {status?.PreviewRevision ?? status?.CurrentRevision ?? "?"} started");
        Milestone(status?.PromotedAt, "promoted");
        Milestone(status?.SwitchedAt, $"switched traffic to {status?.ActiveColor ?? "?"}"
            + (status?.LastSwitchMilliseconds is { } ms ? $" (Service write took {ms} ms)" : ""));
        Milestone(status?.RollbackStartedAt, $"rollback to {status?.ActiveColor ?? "the standby"} started");
        return [.. entries.OrderBy(e => e.At)];
    }

    /// <summary>Smoke tests of the release under test, then post-switch analysis, one row per check.</summary>
    public static IReadOnlyList<CheckRow> Checks(BlueGreenDeploymentStatus? status)
    {
        static IEnumerable<CheckRow> Rows(string stage, IEnumerable<CheckResult>? results) =>
            (results ?? []).Select(r => new CheckRow(
                stage,
                r.Name,
                r.Passed,
                r.Pods > 0 ? $"{r.Pods - r.FailedPods}/{r.Pods}" : null,
                r.LatencyMs,
                r.FailingPods is { Count: > 0 } failing ? string.Join(", ", failing) : null,
                r.Message));

        return [.. Rows("smoke tests", status?.SmokeTests), .. Rows("analysis", status?.Analysis?.Results)];
    }

    public static IReadOnlyList<WarmupRow> Warmup(BlueGreenDeploymentStatus? status)
    {
        static IEnumerable<WarmupRow> Rows(string stage, WarmupStatus? warmup) =>
            (warmup?.Pods ?? []).Select(p => new WarmupRow(stage, p.Name, p.Requests, p.Failed, p.FirstLatencyMs, p.LastLatencyMs));

        return [.. Rows($"warm-up of {status?.Warmup?.Color ?? "the new colour"}", status?.Warmup),
            .. Rows($"warm-up of standby {status?.StandbyWarmup?.Color ?? ""}".TrimEnd(), status?.StandbyWarmup)];
    }
}
