using System.Diagnostics.Metrics;
using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Runtime;

namespace BlueGreenOperator.Telemetry;

/// <summary>
/// Gauges of the whole fleet, read from the informers' caches when Prometheus scrapes (no request to the API server):
/// objects by phase, releases past their progress deadline, and whether this instance leads. They feed the chart's
/// dashboard and alert rules (charts/bluegreen-operator/files).
/// </summary>
internal static class FleetMetrics
{
    static Func<IReadOnlyList<BlueGreenDeployment>>? _objects;
    static Func<bool>? _leading;
    static TimeProvider _clock = TimeProvider.System;

    static readonly ObservableGauge<int> Objects = OperatorTelemetry.Meter.CreateObservableGauge(
        "bluegreen.objects", ObserveObjects, unit: "{object}", description: "BlueGreenDeployments in the watched namespaces, by status.phase (Unknown: no status yet).");

    static readonly ObservableGauge<int> Overdue = OperatorTelemetry.Meter.CreateObservableGauge(
        "bluegreen.releases.overdue", ObserveOverdue, unit: "{object}", description: "Releases still before their switch (Paused excepted) whose progress deadline has passed: the operator could not act on it.");

    static readonly ObservableGauge<int> Leader = OperatorTelemetry.Meter.CreateObservableGauge(
        "bluegreen.leader", ObserveLeader, unit: "{instance}", description: "1 while this instance runs the reconcile workers (leads, or leader election is off), else 0.");

    public static void Track(Func<IReadOnlyList<BlueGreenDeployment>> objects, Func<bool> leading, TimeProvider? clock = null)
    {
        _objects = objects;
        _leading = leading;
        _clock = clock ?? TimeProvider.System;
    }

    /// <summary>Every phase is reported, with 0 when no object is in it, so that a panel or an alert never reads an absent series.</summary>
    internal static IEnumerable<(string Phase, int Count)> CountByPhase(IEnumerable<BlueGreenDeployment> objects)
    {
        var counts = Phase.All.Append(UnknownPhase).ToDictionary(p => p, _ => 0, StringComparer.Ordinal);
        foreach (var resource in objects)
        {
            var phase = resource.Status?.Phase;
            counts[phase is not null && counts.ContainsKey(phase) ? phase : UnknownPhase]++;
        }
        return counts.Select(c => (c.Key, c.Value));
    }

    public const string UnknownPhase = "Unknown";

    /// <summary>A release before its switch, not waiting for a person, whose deadline lies behind <paramref name="now"/>.</summary>
    internal static bool IsOverdue(BlueGreenDeployment resource, DateTimeOffset now) =>
        resource.Status is { } status
        && Phase.IsBeforeSwitch(status.Phase)
        && status.Phase != Phase.Paused
        && status.ProgressStartedAt is { } started
        && PlanContext.Utc(started).AddSeconds(resource.Spec.Strategy.ProgressDeadlineSeconds) < now.UtcDateTime;

    static IEnumerable<Measurement<int>> ObserveObjects()
    {
        if (_objects is null)
            yield break;
        foreach (var (phase, count) in CountByPhase(_objects()))
            yield return new Measurement<int>(count, new KeyValuePair<string, object?>("phase", phase));
    }

    static IEnumerable<Measurement<int>> ObserveOverdue()
    {
        if (_objects is null)
            yield break;
        var now = _clock.GetUtcNow();
        yield return new Measurement<int>(_objects().Count(o => IsOverdue(o, now)));
    }

    static IEnumerable<Measurement<int>> ObserveLeader()
    {
        if (_leading is null)
            yield break;
        yield return new Measurement<int>(_leading() ? 1 : 0);
    }
}
