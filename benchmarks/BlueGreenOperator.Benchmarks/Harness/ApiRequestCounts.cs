using BlueGreenOperator.LocalCluster.Testing;

namespace BlueGreenOperator.Benchmarks.Harness;

/// <summary>
/// Cumulative API request counts of the operator, by <c>VERB resource</c> (its <c>bluegreen_api_requests</c> counter,
/// e.g. <c>PUT bluegreendeployments/status</c>).
/// </summary>
internal sealed record ApiRequestCounts(IReadOnlyDictionary<string, long> ByResource)
{
    public IReadOnlyDictionary<string, long> ByVerb => OperatorProcess.ByVerb(ByResource);

    public long Writes => OperatorProcess.Writes(ByVerb);

    /// <summary>Reads: GETs and the GETs that open a watch (the counter's <c>WATCH</c>).</summary>
    public long Gets => ByVerb.GetValueOrDefault("GET") + ByVerb.GetValueOrDefault("WATCH");

    public long Total => ByResource.Values.Sum();

    /// <summary>The requests that were sent, by resource (<c>PUT bluegreendeployments/status × 2</c>); "none" when none was.</summary>
    public string Named => Total == 0
        ? "none"
        : string.Join(", ", ByResource.Where(p => p.Value != 0).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} × {p.Value}"));

    public static async Task<ApiRequestCounts> ReadAsync(OperatorProcess op, CancellationToken cancellationToken) =>
        new(await op.ApiRequestsByResourceAsync(cancellationToken));

    /// <summary>What happened between <paramref name="earlier"/> and this reading.</summary>
    public ApiRequestCounts Since(ApiRequestCounts earlier) => new(
        ByResource.Keys.Union(earlier.ByResource.Keys)
            .ToDictionary(key => key, key => ByResource.GetValueOrDefault(key) - earlier.ByResource.GetValueOrDefault(key)));
}

/// <summary>What the benchmark reads off the operator process between two moments: requests, CPU, reconciles, Service writes.</summary>
internal sealed record OperatorReading(ApiRequestCounts Requests, double CpuSeconds, double Reconciles, double ReconcileSeconds, double ActiveServiceWrites, double ActiveServiceWriteSeconds)
{
    public static async Task<OperatorReading> TakeAsync(OperatorProcess op, CancellationToken cancellationToken) => new(
        await ApiRequestCounts.ReadAsync(op, cancellationToken),
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
