using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;

namespace BlueGreenOperator.Reconciliation;

/// <summary>
/// How long a check run may take: until the end of the stage it serves. Smoke tests and replays serve a release, which is aborted
/// at <c>progressStartedAt + progressDeadlineSeconds</c>; analysis serves stabilization, which ends at
/// <c>switchedAt + stabilizationSeconds</c> (so does a replay after the switch, row P7: it is asked for with the analysis kind's
/// budget). Read from the status the plan decided (and the reconciler persisted).
/// </summary>
internal static class CheckBudget
{
    /// <returns>The time left, or null when status holds no start to count from.</returns>
    public static TimeSpan? Remaining(BlueGreenDeployment resource, CheckKind kind, DateTimeOffset now)
    {
        var status = resource.Status;
        var strategy = resource.Spec.Strategy ?? new StrategySpec();
        var end = kind is CheckKind.Smoke or CheckKind.Replay
            ? status?.ProgressStartedAt?.AddSeconds(strategy.ProgressDeadlineSeconds)
            : status?.SwitchedAt?.AddSeconds(strategy.StabilizationSeconds);
        return end is { } at ? new DateTimeOffset(Utc(at)) - now : null;
    }

    static DateTime Utc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Utc => time,
        DateTimeKind.Local => time.ToUniversalTime(),
        _ => DateTime.SpecifyKind(time, DateTimeKind.Utc),
    };
}
