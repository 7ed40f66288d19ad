using System.Diagnostics.Metrics;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Runtime;

namespace BlueGreenOperator.Telemetry;

/// <summary>What a platform engineer watches on a dashboard: outcomes and how fast traffic moves.</summary>
internal static class RolloutMetrics
{
    static readonly Counter<long> Rollouts = OperatorTelemetry.Meter.CreateCounter<long>(
        "bluegreen.rollouts", unit: "{rollout}", description: "Releases that ended, by outcome: succeeded, aborted or rolled_back.");

    static readonly Histogram<double> SwitchDuration = OperatorTelemetry.Meter.CreateHistogram<double>(
        "bluegreen.switch.duration", unit: "s", description: "From the switch decision to the Service write being accepted.");

    static readonly Histogram<double> RollbackDuration = OperatorTelemetry.Meter.CreateHistogram<double>(
        "bluegreen.rollback.duration", unit: "s", description: "From the rollback decision to the Service write being accepted.");

    static readonly string[] Outcomes = ["succeeded", "aborted", "rolled_back"];

    /// <summary>
    /// Every outcome's counter exists from the start at 0: a counter that first appears at 1 has no increase
    /// Prometheus can see, and an alert on it would never fire for the first rollback.
    /// </summary>
    public static void Start()
    {
        foreach (var outcome in Outcomes)
            Rollouts.Add(0, new KeyValuePair<string, object?>("outcome", outcome));
    }

    public static void RecordSwitch(TimeSpan duration, bool rollback) =>
        (rollback ? RollbackDuration : SwitchDuration).Record(duration.TotalSeconds);

    public static void RecordPhase(string? phase)
    {
        var outcome = phase switch
        {
            Phase.Healthy => Outcomes[0],
            Phase.Degraded => Outcomes[1],
            Phase.RolledBack => Outcomes[2],
            _ => null,
        };
        if (outcome is not null)
            Rollouts.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
    }
}
