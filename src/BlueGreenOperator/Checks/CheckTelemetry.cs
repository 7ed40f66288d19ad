using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace BlueGreenOperator.Checks;

/// <summary>Traces and metrics of check runs; shares its source and meter names with the rest of the operator.</summary>
public static class CheckTelemetry
{
    public const string Name = "BlueGreenOperator";

    public static readonly ActivitySource Source = new(Name);

    static readonly Meter Meter = new(Name);

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
