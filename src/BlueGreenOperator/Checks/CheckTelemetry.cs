using System.Diagnostics;
using System.Diagnostics.Metrics;
using BlueGreenOperator.Runtime;

namespace BlueGreenOperator.Checks;

/// <summary>Traces and metrics of check runs, on the operator's one source and meter.</summary>
internal static class CheckTelemetry
{
    public static ActivitySource Source => OperatorTelemetry.ActivitySource;

    static Meter Meter => OperatorTelemetry.Meter;

    /// <summary>Seconds one check took on one pod, all repeats included.</summary>
    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        "bluegreen.check.duration", unit: "s", description: "Duration of one check against one pod, all repeats included.");

    public static void RecordDuration(string check, CheckKind kind, bool passed, TimeSpan elapsed) =>
        Duration.Record(
            elapsed.TotalSeconds,
            new KeyValuePair<string, object?>("check", check),
            new KeyValuePair<string, object?>("kind", kind.Label()),
            new KeyValuePair<string, object?>("outcome", passed ? "pass" : "fail"));
}
