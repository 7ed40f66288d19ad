using System.Collections.Concurrent;
using System.Diagnostics;
using BlueGreenOperator.Runtime;

namespace BlueGreenOperator.Tests.Telemetry;

/// <summary>Records every span of the operator's ActivitySource that stops while it is alive (all sampled).</summary>
internal sealed class SpanRecorder : IDisposable
{
    readonly ActivityListener _listener;

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == OperatorTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public ConcurrentQueue<Activity> Spans { get; } = new();

    public void Dispose() => _listener.Dispose();
}
