using System.Text;
using BlueGreenOperator.Runtime;

namespace BlueGreenOperator.Hosting;

/// <summary>The bounds past which the operator counts as wedged.</summary>
internal sealed record HealthBounds(TimeSpan InformerSyncTimeout, TimeSpan StalledWorkers, TimeSpan MaxReconcile)
{
    public static HealthBounds From(HealthSettings settings) => new(
        TimeSpan.FromSeconds(settings.InformerSyncTimeoutSeconds),
        TimeSpan.FromSeconds(settings.StalledWorkersSeconds),
        TimeSpan.FromSeconds(settings.MaxReconcileSeconds));
}

/// <summary>An answer of /healthz or /readyz: whether it is good, and the lines of its body.</summary>
internal sealed record ProbeAnswer(bool Ok, IReadOnlyList<string> Lines)
{
    public string Body()
    {
        var text = new StringBuilder();
        foreach (var line in Lines)
        {
            text.Append(line).Append('\n');
        }

        return text.ToString();
    }
}

/// <summary>
/// What /healthz and /readyz say. Liveness fails when the operator is wedged, so that its kubelet restarts it:
/// keys wait while no reconcile finished for longer than a bound, one reconcile runs longer than a bound, or an
/// informer has not synced (or kept failing to list or watch) for longer than a bound. Readiness waits for every
/// informer's first list and names those not synced and why; followers are ready too (they stand by with warm caches).
/// </summary>
internal sealed class OperatorHealth(HealthBounds bounds, TimeProvider time)
{
    private volatile Controller? controller;
    private volatile bool leading;

    /// <summary>The controller whose workers and informers are checked; until then both probes wait.</summary>
    public void Track(Controller tracked) => controller = tracked;

    public void MarkLeading(bool isLeading) => leading = isLeading;

    public bool Leading => leading;

    public ProbeAnswer Liveness()
    {
        if (controller is not { } tracked)
        {
            return new ProbeAnswer(true, ["ok: starting"]);
        }

        var problems = Problems(tracked.Health(), tracked.Informers.Select(i => i.Health), time.GetUtcNow(), bounds);
        return problems.Count == 0 ? new ProbeAnswer(true, ["ok"]) : new ProbeAnswer(false, ["unhealthy", .. problems]);
    }

    public ProbeAnswer Readiness()
    {
        if (controller is not { } tracked)
        {
            return new ProbeAnswer(false, ["not ready: starting"]);
        }

        var informers = tracked.Informers.Select(i => i.Health).ToList();
        var synced = informers.All(i => i.Synced);
        var role = leading ? "leading" : "standing by";
        var lines = new List<string> { synced ? $"ready: {role}" : $"not ready: informers not synced ({role})" };
        lines.AddRange(informers.Select(Describe));
        return new ProbeAnswer(synced, lines);
    }

    /// <summary>Every reason the operator counts as wedged right now; empty when it is live.</summary>
    public static IReadOnlyList<string> Problems(WorkerHealth workers, IEnumerable<InformerHealth> informers, DateTimeOffset now, HealthBounds bounds)
    {
        var problems = new List<string>();
        if (workers.Running && workers.Ready > 0 && workers.SinceProgress > bounds.StalledWorkers)
        {
            problems.Add($"workers stalled: {workers.Ready} keys waiting and no reconcile finished for {Seconds(workers.SinceProgress)} (bound {Seconds(bounds.StalledWorkers)})");
        }

        if (workers.Longest is { } longest && longest.Running > bounds.MaxReconcile)
        {
            problems.Add($"reconcile of {longest.Key} running for {Seconds(longest.Running)} (bound {Seconds(bounds.MaxReconcile)})");
        }

        foreach (var informer in informers)
        {
            if (!informer.Synced && informer.StartedAt is { } started && now - started > bounds.InformerSyncTimeout)
            {
                problems.Add($"informer {informer.Name} not synced after {Seconds(now - started)} (bound {Seconds(bounds.InformerSyncTimeout)}){LastError(informer)}");
            }
            else if (informer.FailingSince is { } failing && now - failing > bounds.InformerSyncTimeout)
            {
                problems.Add($"informer {informer.Name} failing to list or watch for {Seconds(now - failing)} (bound {Seconds(bounds.InformerSyncTimeout)}){LastError(informer)}");
            }
        }

        return problems;
    }

    private static string Describe(InformerHealth informer) =>
        informer.Synced
            ? $"informer {informer.Name}: synced{(informer.FailingSince is null ? string.Empty : $", watch failing{LastError(informer)}")}"
            : $"informer {informer.Name}: not synced{(informer.StartedAt is null ? ", not started" : string.Empty)}{LastError(informer)}";

    private static string LastError(InformerHealth informer) => informer.LastError is { } error ? $"; last error: {error}" : string.Empty;

    private static string Seconds(TimeSpan span) => $"{span.TotalSeconds:0} s";
}
