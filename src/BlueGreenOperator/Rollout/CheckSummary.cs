using BlueGreenOperator.Api;

namespace BlueGreenOperator.Rollout;

/// <summary>Bounds that keep status small whatever the number of pods and checks (an object must stay under the API server's size limit).</summary>
public static class StatusLimits
{
    /// <summary>status.message and condition messages.</summary>
    public const int MessageLength = 1024;

    /// <summary>One check's message.</summary>
    public const int CheckMessageLength = 256;

    /// <summary>Pods named per failing check.</summary>
    public const int FailingPodsNamed = 3;

    /// <summary>Entries in status.smokeTests and status.analysis.results: one per check, as many as a spec may have.</summary>
    public const int CheckResults = SpecValidator.MaxChecks;

    /// <summary>Pods named in status.warmup and status.standbyWarmup.</summary>
    public const int WarmupPods = 16;

    /// <summary>The serialized status never exceeds this many bytes (a test holds it to it with 100 pods × 50 failing checks).</summary>
    public const int SerializedBytes = 96 * 1024;
}

/// <summary>Turns per-pod check results into one bounded entry per check: counts, the first failing pods by name, the first failure.</summary>
public static class CheckSummary
{
    public static IList<CheckResult> Aggregate(IEnumerable<PodCheckResult> results) =>
        [.. results
            .GroupBy(r => r.Name, StringComparer.Ordinal)
            .Take(StatusLimits.CheckResults)
            .Select(check =>
            {
                var all = check.ToList();
                var failed = all.Where(r => !r.Passed).ToList();
                var pods = all.Count(r => r.Pod is not null);
                var worst = all.Max(r => r.LatencyMs);
                var message = failed.Count > 0
                    ? (failed[0].Pod is { } pod ? $"{pod}: " : "") + failed[0].Message
                    : pods > 0 ? $"passed on {pods} {(pods == 1 ? "pod" : "pods")}, slowest {worst} ms" : all[0].Message;
                return new CheckResult
                {
                    Name = Bound(check.Key, 253),
                    Passed = failed.Count == 0,
                    Pods = pods,
                    FailedPods = failed.Count(r => r.Pod is not null),
                    FailingPods = failed.Count(r => r.Pod is not null) == 0
                        ? null
                        : [.. failed.Where(r => r.Pod is not null).Select(r => Bound(r.Pod!, 253)).Take(StatusLimits.FailingPodsNamed)],
                    LatencyMs = worst,
                    Message = Bound(message, StatusLimits.CheckMessageLength),
                };
            })];

    static string Bound(string text, int length) => RolloutPlanner.Truncate(text, length);
}

/// <summary>Turns per-pod warm-ups into the bounded status entry (rows W2, W4).</summary>
public static class WarmupSummary
{
    public static WarmupStatus From(CheckReport report, DateTime at, int runs) => new()
    {
        Color = report.Color.Label(),
        Revision = report.Revision,
        LastRunAt = at,
        Runs = runs,
        PodCount = report.Warmups.Count,
        Pods = [.. report.Warmups.Take(StatusLimits.WarmupPods).Select(w => new PodWarmupStatus
        {
            Name = RolloutPlanner.Truncate(w.Pod, 253),
            Requests = w.Requests,
            Failed = w.Failed,
            FirstLatencyMs = w.FirstLatencyMs,
            LastLatencyMs = w.LastLatencyMs,
        })],
    };
}
