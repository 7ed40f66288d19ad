using BlueGreenOperator.LocalCluster.Testing;

namespace BlueGreenOperator.Benchmarks.Harness;

/// <summary>Cumulative API request counts of the operator, by HTTP verb (its <c>bluegreen_api_requests</c> counter).</summary>
internal sealed record ApiRequestCounts(IReadOnlyDictionary<string, long> ByVerb)
{
    public long Writes => OperatorProcess.Writes(ByVerb);

    public long Gets => ByVerb.GetValueOrDefault("GET");

    public long Total => ByVerb.Values.Sum();

    /// <summary>What happened between <paramref name="earlier"/> and this reading.</summary>
    public ApiRequestCounts Since(ApiRequestCounts earlier) => new(
        ByVerb.Keys.Union(earlier.ByVerb.Keys)
            .ToDictionary(verb => verb, verb => ByVerb.GetValueOrDefault(verb) - earlier.ByVerb.GetValueOrDefault(verb)));
}

/// <summary>What the benchmark reads off the operator process between two moments: requests, CPU, reconciles, Service writes.</summary>
internal sealed record OperatorReading(ApiRequestCounts Requests, double CpuSeconds, double Reconciles, double ReconcileSeconds, double ActiveServiceWrites, double ActiveServiceWriteSeconds)
{
    public static async Task<OperatorReading> TakeAsync(OperatorProcess op, CancellationToken cancellationToken) => new(
        new ApiRequestCounts(await op.ApiRequestsAsync(cancellationToken)),
        op.CpuSeconds(),
        await op.MetricAsync("bluegreen_reconcile_duration_seconds_count", cancellationToken: cancellationToken),
        await op.MetricAsync("bluegreen_reconcile_duration_seconds_sum", cancellationToken: cancellationToken),
        await op.MetricAsync("bluegreen_service_write_duration_seconds_count", "role=\"active\"", cancellationToken),
        await op.MetricAsync("bluegreen_service_write_duration_seconds_sum", "role=\"active\"", cancellationToken));

    public OperatorReading Since(OperatorReading earlier) => new(
        Requests.Since(earlier.Requests),
        CpuSeconds - earlier.CpuSeconds,
        Reconciles - earlier.Reconciles,
        ReconcileSeconds - earlier.ReconcileSeconds,
        ActiveServiceWrites - earlier.ActiveServiceWrites,
        ActiveServiceWriteSeconds - earlier.ActiveServiceWriteSeconds);

    /// <summary>The mean time of one active-Service write in this interval, in milliseconds; NaN when there was none.</summary>
    public double ActiveServiceWriteMilliseconds => ActiveServiceWrites > 0 ? 1000 * ActiveServiceWriteSeconds / ActiveServiceWrites : double.NaN;
}
