namespace BlueGreenOperator.Runtime;

/// <summary>Settings of the retry rate limit; the defaults are client-go's controller defaults.</summary>
internal sealed record RetryRateLimit
{
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(1000);

    public double QueriesPerSecond { get; init; } = 10;

    public int Burst { get; init; } = 100;
}

/// <summary>
/// Delay before a failed key is retried: the larger of a per-key exponential backoff and the wait for
/// a token of a bucket shared by all keys (client-go's MaxOfRateLimiter of both).
/// </summary>
internal sealed class RetryRateLimiter<T>(RetryRateLimit limit, TimeProvider time)
    where T : notnull
{
    private readonly object gate = new();
    private readonly Dictionary<T, int> failures = [];
    private double tokens = limit.Burst;
    private DateTimeOffset refilledAt = time.GetUtcNow();

    public TimeSpan When(T key)
    {
        lock (gate)
        {
            var backoff = NextBackoff(key);
            var bucket = ReserveToken();
            return backoff > bucket ? backoff : bucket;
        }
    }

    public void Forget(T key)
    {
        lock (gate)
        {
            failures.Remove(key);
        }
    }

    public int NumRequeues(T key)
    {
        lock (gate)
        {
            return failures.GetValueOrDefault(key);
        }
    }

    private TimeSpan NextBackoff(T key)
    {
        var exponent = failures.GetValueOrDefault(key);
        failures[key] = exponent + 1;
        // Computed in double so that a long failure streak saturates at the cap instead of overflowing.
        var ticks = limit.BaseDelay.Ticks * Math.Pow(2, exponent);
        return ticks >= limit.MaxDelay.Ticks ? limit.MaxDelay : TimeSpan.FromTicks((long)ticks);
    }

    private TimeSpan ReserveToken()
    {
        var now = time.GetUtcNow();
        var elapsed = (now - refilledAt).TotalSeconds;
        if (elapsed > 0)
        {
            tokens = Math.Min(limit.Burst, tokens + (elapsed * limit.QueriesPerSecond));
            refilledAt = now;
        }

        // Like golang.org/x/time/rate Reserve: the token is taken now, possibly going into debt that later callers wait out.
        tokens -= 1;
        return tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-tokens / limit.QueriesPerSecond);
    }
}
