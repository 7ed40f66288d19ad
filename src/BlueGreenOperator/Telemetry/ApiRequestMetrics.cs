using System.Diagnostics.Metrics;
using BlueGreenOperator.Runtime;

namespace BlueGreenOperator.Telemetry;

/// <summary>
/// Exposes the operator's own API requests, by verb and resource (<c>services</c>, <c>bluegreendeployments/status</c>: a
/// few dozen series at most), so that "a converged object costs no writes" can be watched and a write that breaks it named.
/// </summary>
internal static class ApiRequestMetrics
{
    static ApiRequestCounter? _counter;

    static readonly ObservableCounter<long> Requests = OperatorTelemetry.Meter.CreateObservableCounter(
        "bluegreen.api.requests", Observe, unit: "{request}", description: "Requests the operator sent to the Kubernetes API, by verb and resource.");

    public static void Track(ApiRequestCounter counter) => _counter = counter;

    static IEnumerable<Measurement<long>> Observe()
    {
        if (_counter is null)
            yield break;
        foreach (var (key, count) in _counter.Snapshot().ByResource)
        {
            var (verb, resource) = ApiRequestCounter.Split(key);
            yield return new Measurement<long>(count, new KeyValuePair<string, object?>("verb", verb), new KeyValuePair<string, object?>("resource", resource));
        }
    }
}
