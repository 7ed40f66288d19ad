namespace ModelServer.Serving;

/// <summary>What the fault knobs decide for the n-th inference request.</summary>
internal readonly record struct FaultDecision(long RequestNumber, bool Fail, bool CrashAfterResponse);

/// <summary>
/// Counter-based fault knobs, so that tests can predict exactly which request fails:
/// with ERROR_RATE r, request n fails when floor(n·r) grows, i.e. every (1/r)-th request.
/// </summary>
internal sealed class FaultInjection(ServerSettings settings)
{
    private long requests;

    public FaultDecision Next()
    {
        var n = Interlocked.Increment(ref requests);
        // Decimal keeps n·r exact for rates such as 0.1 or 0.3.
        var rate = (decimal)settings.ErrorRate;
        var fail = decimal.Floor(n * rate) > decimal.Floor((n - 1) * rate);
        return new FaultDecision(n, fail, n == settings.CrashAfterRequests);
    }
}
