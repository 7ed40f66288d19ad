namespace ModelServer.Serving;

/// <summary>
/// A lazily loaded model's cold start, as TorchServe and TF Serving show it: the first inference requests wait
/// (<c>COLD_START_MS</c>, shrinking over <c>COLD_START_REQUESTS</c> requests), and a model left idle for
/// <c>COLD_AFTER_IDLE_SECONDS</c> is cold again (unloaded, caches evicted), as an idle warm standby would be.
/// </summary>
internal sealed class ColdStart(ServerSettings settings, TimeProvider time)
{
    private readonly Lock gate = new();
    private long sinceCold;
    private long? lastAt;
    private long coldRequests;

    /// <summary>Inference requests that waited for a cold start (the <c>model_cold_start_requests_total</c> counter).</summary>
    public long ColdRequests => Interlocked.Read(ref coldRequests);

    /// <summary>How long this inference request waits for the model to warm up.</summary>
    public TimeSpan Next()
    {
        long number;
        lock (gate)
        {
            var now = time.GetTimestamp();
            if (lastAt is { } last && settings.ColdAfterIdle > TimeSpan.Zero && time.GetElapsedTime(last, now) >= settings.ColdAfterIdle)
            {
                sinceCold = 0;
            }

            lastAt = now;
            number = ++sinceCold;
        }

        var delay = settings.ColdStartFor(number);
        if (delay > TimeSpan.Zero)
        {
            Interlocked.Increment(ref coldRequests);
        }

        return delay;
    }
}
