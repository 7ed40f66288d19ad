using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace BlueGreenOperator.Runtime;

/// <summary>The operator's one Meter and one ActivitySource; exporters subscribe to <see cref="Name"/>.</summary>
internal static class OperatorTelemetry
{
    public const string Name = "BlueGreenOperator";

    public static readonly ActivitySource ActivitySource = new(Name);

    public static readonly Meter Meter = new(Name);

    public static readonly Histogram<double> ReconcileDuration = Meter.CreateHistogram<double>(
        "bluegreen.reconcile.duration", unit: "s", description: "Time spent in one reconcile of one object.");

    public static readonly Histogram<double> ServiceWriteDuration = Meter.CreateHistogram<double>(
        "bluegreen.service.write.duration", unit: "s", description: "One write of a Service the operator owns (create or selector patch), request to accepted response, by role.");

    public static readonly Counter<long> ReconcileErrors = Meter.CreateCounter<long>(
        "bluegreen.reconcile.errors", unit: "{error}", description: "Reconciles that ended with an exception.");

    public static readonly Counter<long> FencedWrites = Meter.CreateCounter<long>(
        "bluegreen.fence.refused", unit: "{request}", description: "Writes the write fence refused before sending them, because this instance did not hold a valid Lease.");

    public static readonly Counter<long> AllowedWrites = Meter.CreateCounter<long>(
        "bluegreen.fence.allowed", unit: "{request}", description: "Writes other than the Lease's that the write fence let through (leader election on).");

    public static readonly UpDownCounter<long> DelayedWrites = Meter.CreateUpDownCounter<long>(
        "bluegreen.fence.test_delayed", unit: "{request}", description: "Writes waiting in the test-only write delay before the fence (always 0 in production).");

    private static readonly ConcurrentDictionary<string, Func<int>> QueueDepths = new();

    // Created after QueueDepths so that its callback never sees a null dictionary.
    private static readonly ObservableGauge<int> QueueDepthGauge = Meter.CreateObservableGauge(
        "bluegreen.queue.depth", ObserveQueueDepths, unit: "{key}", description: "Keys ready in a controller's work queue.");

    /// <summary>Reports a queue's depth under the tag <c>controller</c> until the returned handle is disposed.</summary>
    public static IDisposable TrackQueueDepth(string controller, Func<int> depth)
    {
        QueueDepths[controller] = depth;
        return new Untrack(controller);
    }

    private static IEnumerable<Measurement<int>> ObserveQueueDepths() =>
        QueueDepths.Select(entry => new Measurement<int>(entry.Value(), new KeyValuePair<string, object?>("controller", entry.Key)));

    private sealed class Untrack(string controller) : IDisposable
    {
        public void Dispose() => QueueDepths.TryRemove(controller, out _);
    }
}
