using BlueGreenOperator.Benchmarks.Harness;
using BlueGreenOperator.Benchmarks.Measurements;

namespace BlueGreenOperator.Benchmarks.Reporting;

/// <summary>Everything one run measured; written as JSON and printed as a table.</summary>
internal sealed record BenchmarkReport
{
    public required DateTime StartedAt { get; init; }

    public required RunSettings Settings { get; init; }

    public required MachineState MachineBefore { get; init; }

    public MachineState? MachineAfter { get; set; }

    public double? DurationSeconds { get; set; }

    public double? ClusterStartSeconds { get; set; }

    public SwitchReport? Switch { get; set; }

    public RollbackReport? Rollback { get; set; }

    public RequestsReport? ApiRequestsPerRollout { get; set; }

    public MemoryReport? Memory { get; set; }

    public FleetReport? SimultaneousRollouts { get; set; }

    public List<StageFailure> Failures { get; } = [];
}

internal sealed record RunSettings(int Rollouts, int Switches, int Patches, int Rollbacks, int Workers, string? RolloutsNote);

internal sealed record StageFailure(string Stage, string Error);

/// <summary>The operator's switch (decision → Service write accepted) next to the bare selector PATCH round trip.</summary>
internal sealed record SwitchReport(
    Distribution? OperatorSwitchMs,
    Distribution? SelectorPatchMs,
    double? MedianRatio,
    double? P95Ratio,
    Distribution? ApplyToSelectorSeenMs,
    Distribution? ApplyToHealthySeconds,
    IReadOnlyList<SwitchSample> Samples)
{
    public static SwitchReport Of(IReadOnlyList<SwitchSample> samples, IReadOnlyList<double> patchMs)
    {
        var switches = Distribution.Of(samples.Select(s => s.SwitchMilliseconds).Where(double.IsFinite));
        var patches = Distribution.Of(patchMs);
        return new SwitchReport(
            switches,
            patches,
            Ratio(switches?.Median, patches?.Median),
            Ratio(switches?.P95, patches?.P95),
            Distribution.Of(samples.Select(s => s.ApplyToSelectorMilliseconds)),
            Distribution.Of(samples.Select(s => s.ApplyToHealthySeconds)),
            samples);
    }

    public static double? Ratio(double? value, double? baseline) =>
        value is { } v && baseline is > 0 ? Math.Round(v / baseline.Value, 2) : null;
}

internal sealed record RollbackReport(
    Distribution? ManualSwitchMs,
    Distribution? ActionToSelectorSeenMs,
    Distribution? ActionWriteMs,
    double? ManualSwitchToPatchMedianRatio,
    AutomaticRollbackSample? Automatic,
    IReadOnlyList<ManualRollbackSample> ManualSamples);

/// <summary>API requests of one complete rollout (apply → Healthy, short stabilization), by verb, over the series.</summary>
internal sealed record RequestsReport(
    int Rollouts,
    IReadOnlyDictionary<string, double> MedianByVerb,
    Distribution? Writes,
    Distribution? Reads,
    Distribution? Total)
{
    static readonly string[] ReadVerbs = ["GET", "LIST", "WATCH"];

    public static RequestsReport Of(IReadOnlyList<ApiRequestCounts> rollouts) => new(
        rollouts.Count,
        rollouts.SelectMany(r => r.ByVerb.Keys).Distinct().Order(StringComparer.Ordinal)
            .ToDictionary(verb => verb, verb => Distribution.Of(rollouts.Select(r => (double)r.ByVerb.GetValueOrDefault(verb)))!.Median),
        Distribution.Of(rollouts.Select(r => (double)r.Writes)),
        Distribution.Of(rollouts.Select(r => (double)r.ByVerb.Where(p => ReadVerbs.Contains(p.Key)).Sum(p => p.Value))),
        Distribution.Of(rollouts.Select(r => (double)r.Total)));
}

internal sealed record MemoryReport(
    double IdleMiB,
    double IdleWindowSeconds,
    long IdleWindowRequests,
    int Objects,
    IReadOnlyList<string>? NotHealthyOnFirstRelease,
    double? ConvergedMiB,
    double? PerObjectKiB,
    double? ConvergedWindowSeconds,
    IReadOnlyDictionary<string, long>? ConvergedWindowByVerb,
    long? ConvergedWindowWrites,
    double? PeakDuringRolloutsMiB);

internal sealed record FleetReport(
    int Objects,
    double FirstReleaseSeconds,
    double? AllHealthySeconds,
    Distribution? PerObjectSeconds,
    IReadOnlyList<string> NotHealthy,
    double WritesPerObject,
    double RequestsPerObject,
    IReadOnlyDictionary<string, long> RequestsByVerb);
