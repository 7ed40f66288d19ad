using System.Diagnostics;
using System.Diagnostics.Metrics;
using BlueGreenOperator.Api;
using BlueGreenOperator.Runtime;

namespace BlueGreenOperator.Checks;

/// <summary>
/// Traces and metrics of check runs, on the operator's one source and meter. Metric labels come only from bounded
/// sets (the run's kind, the probe, the outcome): a check's name is chosen by users, so it goes into traces and logs.
/// </summary>
internal static class CheckTelemetry
{
    public static ActivitySource Source => OperatorTelemetry.ActivitySource;

    static Meter Meter => OperatorTelemetry.Meter;

    /// <summary>Seconds one check took on one pod, all repeats included.</summary>
    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "bluegreen.check.duration", unit: "s", description: "Duration of one check against one pod, all repeats included.");

    public static void RecordDuration(CheckSpec check, CheckKind kind, bool passed, TimeSpan elapsed) =>
        Duration.Record(
            elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("kind", kind.Label()),
            new KeyValuePair<string, object?>("probe", ProbeOf(check)),
            new KeyValuePair<string, object?>("outcome", passed ? "pass" : "fail"));

    /// <summary>One of five words whatever the spec says.</summary>
    public static string ProbeOf(CheckSpec check) =>
        check.Http is not null ? "http" : check.Inference is not null ? "inference" : check.Prometheus is not null ? "prometheus" : check.Job is not null ? "job" : "none";
}
