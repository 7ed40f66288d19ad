using BlueGreenOperator.Benchmarks.Harness;
using BlueGreenOperator.Benchmarks.Measurements;

namespace BlueGreenOperator.Benchmarks.Reporting;

/// <summary>Everything one run measured; written as JSON and printed as a table.</summary>
internal sealed record BenchmarkReport
{
    public required DateTime StartedAt { get; init; }

    public required RunSettings Settings { get; init; }

    /// <summary>The operator program measured: the natively compiled one that ships, or a build's assembly.</summary>
    public required string OperatorProgram { get; init; }

    public required MachineState MachineBefore { get; init; }

    public MachineState? MachineAfter { get; set; }

    public double? DurationSeconds { get; set; }

    public double? ClusterStartSeconds { get; set; }

    public SwitchReport? Switch { get; set; }

    public RollbackReport? Rollback { get; set; }

    public RequestsReport? ApiRequestsPerRollout { get; set; }

    public MemoryReport? Memory { get; set; }

    public BaselineReport? ReadinessBaseline { get; set; }

    public FleetReport? SimultaneousRollouts { get; set; }

    public SaturationSample? Saturation { get; set; }

    public List<StageFailure> Failures { get; } = [];
}

internal sealed record RunSettings(int Rollouts, int Converged, int Switches, int Patches, int Rollbacks, int Workers, IReadOnlyList<string> Stages, string? RolloutsNote)
{
    public static readonly string[] AllStages = ["switch", "rollback", "baseline", "fleet", "converged", "restart"];

    public bool Runs(string stage) => Stages.Contains(stage);
}

internal sealed record StageFailure(string Stage, string Error);

/// <summary>
/// The operator's switch next to the bare selector PATCH round trip: from the decision (status is written first,
/// write-ahead) to the Service write accepted, and the Service write alone.
/// </summary>
internal sealed record SwitchReport(
    Distribution? OperatorSwitchMs,
    Distribution? ServiceWriteMs,
    Distribution? SelectorPatchMs,
    double? MedianRatio,
    double? P95Ratio,
    double? ServiceWriteMedianRatio,
    double? ServiceWriteP95Ratio,
    Distribution? ApplyToSelectorSeenMs,
    Distribution? ApplyToHealthySeconds,
    Distribution? CpuSecondsPerRollout,
    Distribution? ReconcilesPerRollout,
    IReadOnlyList<SwitchSample> Samples)
{
    public static SwitchReport Of(IReadOnlyList<SwitchSample> samples, IReadOnlyList<double> patchMs)
    {
        var switches = Distribution.Of(samples.Select(s => s.SwitchMilliseconds).Where(double.IsFinite));
        var writes = Distribution.Of(samples.Select(s => s.ServiceWriteMilliseconds).Where(double.IsFinite));
        var patches = Distribution.Of(patchMs);
        return new SwitchReport(
            switches,
            writes,
            patches,
            Ratio(switches?.Median, patches?.Median),
            Ratio(switches?.P95, patches?.P95),
            Ratio(writes?.Median, patches?.Median),
            Ratio(writes?.P95, patches?.P95),
            Distribution.Of(samples.Select(s => s.ApplyToSelectorMilliseconds)),
            Distribution.Of(samples.Select(s => s.ApplyToHealthySeconds)),
            Distribution.Of(samples.Select(s => s.CpuSeconds)),
            Distribution.Of(samples.Select(s => s.Reconciles)),
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
    Distribution? Gets,
    Distribution? Total)
{
    public static RequestsReport Of(IReadOnlyList<ApiRequestCounts> rollouts) => new(
        rollouts.Count,
        rollouts.SelectMany(r => r.ByVerb.Keys).Distinct().Order(StringComparer.Ordinal)
            .ToDictionary(verb => verb, verb => Distribution.Of(rollouts.Select(r => (double)r.ByVerb.GetValueOrDefault(verb)))!.Median),
        Distribution.Of(rollouts.Select(r => (double)r.Writes)),
        Distribution.Of(rollouts.Select(r => (double)r.Gets)),
        Distribution.Of(rollouts.Select(r => (double)r.Total)));
}

/// <summary>Operator RSS at rest with no object and with more and more converged objects, and what each object adds.</summary>
internal sealed record MemoryReport(double IdleMiB, double IdleWindowSeconds, long IdleWindowRequests)
{
    /// <summary>The idle RSS split: anonymous (GC heap, stacks, native allocations), file-backed (mapped runtime and assemblies), shared (JIT code mapped twice).</summary>
    public required ResidentSplit IdleSplit { get; init; }

    public List<MemoryPoint> Converged { get; init; } = [];

    public double? PeakDuringRolloutsMiB { get; init; }

    /// <summary>A fresh operator over the largest number of converged objects (after the restart stage).</summary>
    public double? RestartedMiB { get; init; }

    /// <summary>RSS added per object between consecutive points (idle first), in KiB.</summary>
    public IReadOnlyList<MemorySlope> Slopes
    {
        get
        {
            var points = Converged.OrderBy(p => p.Objects).Prepend(new MemoryPoint(0, IdleMiB, IdleSplit, IdleWindowSeconds, IdleWindowRequests, 0, 0)).ToList();
            return [.. points.Zip(points.Skip(1), (a, b) => new MemorySlope(a.Objects, b.Objects, Math.Round((b.MiB - a.MiB) * 1024 / (b.Objects - a.Objects), 1)))];
        }
    }
}

/// <param name="WindowRequests">Every request the operator sent over the window with every object converged (invariant I4: 0).</param>
/// <param name="WindowRequestsNamed">Those requests by verb and resource, "none" when there was none.</param>
internal sealed record MemoryPoint(int Objects, double MiB, ResidentSplit Split, double WindowSeconds, long WindowRequests, long WindowWrites, int NotHealthy, string WindowRequestsNamed = "none");

internal sealed record ResidentSplit(double AnonymousMiB, double FileMiB, double SharedMiB)
{
    public static ResidentSplit Of((long AnonymousBytes, long FileBytes, long SharedBytes) bytes) =>
        new(MiB(bytes.AnonymousBytes), MiB(bytes.FileBytes), MiB(bytes.SharedBytes));

    static double MiB(long bytes) => Math.Round(bytes / 1048576.0, 1);
}

internal sealed record MemorySlope(int FromObjects, int ToObjects, double KiBPerObject);

internal sealed record BaselineReport(int Deployments, double? AllRolledOutSeconds, Distribution? PerDeploymentSeconds, IReadOnlyList<string> NotRolledOut);

internal sealed record FleetReport(
    int Objects,
    double FirstReleaseSeconds,
    double? AllHealthySeconds,
    Distribution? PerObjectSeconds,
    IReadOnlyList<string> NotHealthy,
    double? RatioToBaseline,
    double? PerObjectMedianRatioToBaseline,
    double WritesPerObject,
    double GetsPerObject,
    double RequestsPerObject,
    double CpuSecondsPerRollout,
    double ReconcilesPerRollout,
    double ReconcilesPerSecond,
    double MeanReconcileMilliseconds,
    IReadOnlyDictionary<string, long> RequestsByVerb);
