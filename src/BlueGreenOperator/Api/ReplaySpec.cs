using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;

namespace BlueGreenOperator.Api;

/// <summary>
/// Recorded Open Inference Protocol v2 requests replayed before the switch against the new colour and the serving
/// colour; the release is refused when the answers disagree, are less accurate, fail or are slower beyond the bounds.
/// </summary>
public sealed class ReplaySpec
{
    /// <summary>
    /// The data set as JSON Lines in a key of a ConfigMap of the object's own namespace (at most 1 MiB, 10000 lines).
    /// </summary>
    [JsonPropertyName("configMapRef")]
    public ConfigMapKeyReference? ConfigMapRef { get; set; }

    /// <summary>The data set inline, one JSON request (or {"request", "expected"}) per item; at most 1000.</summary>
    [JsonPropertyName("lines")]
    public IList<string>? Lines { get; set; }

    /// <summary>
    /// How many lines are sent, spread evenly over the data set in its order (unset: every line). From 1 to 5000.
    /// </summary>
    [JsonPropertyName("sampleSize")]
    public int? SampleSize { get; set; }

    /// <summary>The pods' Open Inference Protocol v2 port. From 1 to 65535.</summary>
    [Required]
    [JsonPropertyName("port")]
    public int Port { get; set; }

    /// <summary>The model the requests are sent to.</summary>
    [Required]
    [JsonPropertyName("model")]
    public string Model { get; set; } = "";

    /// <summary>With a version the requests go to <c>/v2/models/{model}/versions/{modelVersion}/infer</c>.</summary>
    [JsonPropertyName("modelVersion")]
    public string? ModelVersion { get; set; }

    /// <summary>The outputs compared and how; unset: every output, exactly. At most 16.</summary>
    [JsonPropertyName("compare")]
    public IList<OutputComparisonSpec>? Compare { get; set; }

    /// <summary>The share of lines on which both colours must agree. From 0 to 1.</summary>
    [JsonPropertyName("minAgreement")]
    public double? MinAgreement { get; set; }

    /// <summary>
    /// With expected outputs: how much lower the new colour's accuracy may be than the serving colour's. From 0 to 1.
    /// </summary>
    [JsonPropertyName("maxAccuracyDrop")]
    public double? MaxAccuracyDrop { get; set; }

    /// <summary>
    /// With expected outputs: the new colour's accuracy must be at least this (applies to a first release too). From 0
    /// to 1.
    /// </summary>
    [JsonPropertyName("minAccuracy")]
    public double? MinAccuracy { get; set; }

    /// <summary>The share of lines the new colour may fail to answer. Default: 0. From 0 to 1.</summary>
    [JsonPropertyName("maxErrorRate")]
    public double MaxErrorRate { get; set; }

    /// <summary>The new colour's p95 latency may be at most this many times the serving colour's. At least 1.</summary>
    [JsonPropertyName("maxLatencyRatio")]
    public double? MaxLatencyRatio { get; set; }

    /// <summary>
    /// Latencies below this count as this for the ratio: differences of a few milliseconds are noise. Default: 20. From
    /// 0 to 60000.
    /// </summary>
    [JsonPropertyName("latencyFloorMs")]
    public int LatencyFloorMs { get; set; } = 20;

    /// <summary>Requests in flight at once against each colour. Default: 4. From 1 to 32.</summary>
    [JsonPropertyName("concurrency")]
    public int Concurrency { get; set; } = 4;

    /// <summary>How long one request may take. Default: 5. From 1 to 300.</summary>
    [JsonPropertyName("timeoutSeconds")]
    public int TimeoutSeconds { get; set; } = 5;

    /// <summary>
    /// After the switch too: during stabilization each analysis run (at analysis.intervalSeconds, counted against
    /// analysis.failureLimit) replays the sample against the new serving colour and the warm standby; a missed
    /// threshold is a failed run. Only while the standby has a ready pod of its tested template. Default: false.
    /// </summary>
    [JsonPropertyName("afterSwitch")]
    public bool AfterSwitch { get; set; }
}

/// <summary>One key of a ConfigMap in the object's own namespace.</summary>
public sealed class ConfigMapKeyReference
{
    /// <summary>The ConfigMap's name, in the object's own namespace.</summary>
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>The key whose value holds the JSON Lines.</summary>
    [Required]
    [JsonPropertyName("key")]
    public string Key { get; set; } = "";
}

/// <summary>How one output is compared between the colours and with an expected output.</summary>
public sealed class OutputComparisonSpec
{
    /// <summary>The output's name.</summary>
    [Required]
    [JsonPropertyName("output")]
    public string Output { get; set; } = "";

    /// <summary>
    /// exact: every element equal; tolerance: every element within tolerance; argmax: the same class per row. Default:
    /// exact.
    /// </summary>
    [JsonPropertyName("mode")]
    public string Mode { get; set; } = ComparisonModes.Exact;

    /// <summary>
    /// With tolerance: the largest absolute difference per element that still agrees. Default: 0. At least 0.
    /// </summary>
    [JsonPropertyName("tolerance")]
    public double Tolerance { get; set; }

    /// <summary>
    /// With argmax: the classes per row (the last dimension); unset: the whole output is one row. At least 1.
    /// </summary>
    [JsonPropertyName("classes")]
    public int? Classes { get; set; }
}

/// <summary>The values of replay.compare[].mode.</summary>
public static class ComparisonModes
{
    public const string Exact = "exact";
    public const string Tolerance = "tolerance";
    public const string ArgMax = "argmax";

    public static readonly IReadOnlyList<string> All = [Exact, Tolerance, ArgMax];
}

/// <summary>
/// The last replay: how the new colour answered against the serving colour and the expected outputs, before the switch
/// or (spec.replay.afterSwitch) in an analysis run against the warm standby.
/// </summary>
public sealed class ParityStatus
{
    /// <summary>The revision replayed.</summary>
    [Required]
    [JsonPropertyName("revision")]
    public string Revision { get; set; } = "";

    /// <summary>The colour replayed: the colour under test, or after the switch the serving colour.</summary>
    [JsonPropertyName("color")]
    public string? Color { get; set; }

    /// <summary>The colour compared with: the serving colour, or after the switch the warm standby; unset on a first release.</summary>
    [JsonPropertyName("servingColor")]
    public string? ServingColor { get; set; }

    /// <summary>An analysis run's replay after the switch (the serving colour against the warm standby), not a release's gate.</summary>
    [JsonPropertyName("afterSwitch")]
    public bool AfterSwitch { get; set; }

    /// <summary>The pods the requests were sent to were made from this template.</summary>
    [JsonPropertyName("podTemplateHash")]
    public string? PodTemplateHash { get; set; }

    /// <summary>The revision compared against; unset on a first release (nothing served).</summary>
    [JsonPropertyName("servingRevision")]
    public string? ServingRevision { get; set; }

    /// <summary>Whether every bound held.</summary>
    [Required]
    [JsonPropertyName("passed")]
    public bool Passed { get; set; }

    /// <summary>Lines sent to each colour.</summary>
    [JsonPropertyName("requests")]
    public int Requests { get; set; }

    /// <summary>Lines both colours answered, over which agreement is counted.</summary>
    [JsonPropertyName("compared")]
    public int Compared { get; set; }

    /// <summary>Lines on which the colours disagreed.</summary>
    [JsonPropertyName("disagreements")]
    public int Disagreements { get; set; }

    /// <summary>The share of compared lines on which the colours agreed.</summary>
    [JsonPropertyName("agreement")]
    public double? Agreement { get; set; }

    /// <summary>Lines that carry an expected output.</summary>
    [JsonPropertyName("labelled")]
    public int Labelled { get; set; }

    /// <summary>The share of labelled lines the replayed colour answered right.</summary>
    [JsonPropertyName("accuracy")]
    public double? Accuracy { get; set; }

    /// <summary>The share of labelled lines the colour compared with answered right.</summary>
    [JsonPropertyName("servingAccuracy")]
    public double? ServingAccuracy { get; set; }

    /// <summary>The share of lines the replayed colour failed to answer.</summary>
    [JsonPropertyName("errorRate")]
    public double? ErrorRate { get; set; }

    /// <summary>The share of lines the colour compared with failed to answer.</summary>
    [JsonPropertyName("servingErrorRate")]
    public double? ServingErrorRate { get; set; }

    /// <summary>The replayed colour's median latency, in milliseconds.</summary>
    [JsonPropertyName("latencyP50Ms")]
    public double? LatencyP50Ms { get; set; }

    /// <summary>The replayed colour's 95th percentile latency, in milliseconds.</summary>
    [JsonPropertyName("latencyP95Ms")]
    public double? LatencyP95Ms { get; set; }

    /// <summary>The median latency of the colour compared with, in milliseconds.</summary>
    [JsonPropertyName("servingLatencyP50Ms")]
    public double? ServingLatencyP50Ms { get; set; }

    /// <summary>The 95th percentile latency of the colour compared with, in milliseconds.</summary>
    [JsonPropertyName("servingLatencyP95Ms")]
    public double? ServingLatencyP95Ms { get; set; }

    /// <summary>p95 of the new colour over p95 of the serving colour, each at least latencyFloorMs.</summary>
    [JsonPropertyName("latencyRatio")]
    public double? LatencyRatio { get; set; }

    /// <summary>The first lines the colours disagreed on (or answered wrong, or failed), with both answers.</summary>
    [JsonPropertyName("firstDisagreements")]
    public IList<string>? FirstDisagreements { get; set; }

    /// <summary>The outcome in words: the first bound missed, or how it passed.</summary>
    [JsonPropertyName("message")]
    public string? Message { get; set; }
}
