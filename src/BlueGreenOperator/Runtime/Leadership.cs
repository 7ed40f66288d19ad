namespace BlueGreenOperator.Runtime;

/// <summary>
/// What this instance knows about holding the Lease, by its own monotonic clock: whether it leads, since when
/// its last successful renewal was sent, and which term (leadership period) is current. The write fence asks it
/// before every write; leader election tells it of each acquisition, renewal and loss.
/// </summary>
internal sealed class Leadership(TimeSpan renewDeadline, TimeProvider? time = null)
{
    // The term a piece of work was started in flows with it (reconciles started while leading carry it), so that
    // work left over from an earlier term cannot write in a later one.
    private static readonly AsyncLocal<long?> AmbientTerm = new();

    private readonly TimeProvider time = time ?? TimeProvider.System;
    private readonly object gate = new();
    private long term;
    private bool leading;
    private long renewedAt;

    public TimeSpan RenewDeadline => renewDeadline;

    public bool IsLeading
    {
        get
        {
            lock (gate)
            {
                return leading;
            }
        }
    }

    public long Term
    {
        get
        {
            lock (gate)
            {
                return term;
            }
        }
    }

    /// <summary>Marks the calling flow (and everything it starts) as work of <paramref name="workTerm"/>.</summary>
    public static void EnterTerm(long workTerm) => AmbientTerm.Value = workTerm;

    /// <summary>Starts a new term; <paramref name="sentAt"/> is the timestamp taken before the acquiring write was sent.</summary>
    public long Begin(long sentAt)
    {
        lock (gate)
        {
            leading = true;
            renewedAt = sentAt;
            return ++term;
        }
    }

    /// <summary>A renewal succeeded; <paramref name="sentAt"/> is the timestamp taken before it was sent.</summary>
    public void Renewed(long sentAt)
    {
        lock (gate)
        {
            if (leading && sentAt > renewedAt)
            {
                renewedAt = sentAt;
            }
        }
    }

    /// <summary>How long after the last renewal the lease still counts as ours; negative once it does not.</summary>
    public TimeSpan Remaining()
    {
        lock (gate)
        {
            return leading ? renewDeadline - time.GetElapsedTime(renewedAt) : TimeSpan.Zero;
        }
    }

    public void End()
    {
        lock (gate)
        {
            leading = false;
        }
    }

    /// <summary>
    /// Null when this instance may write now: it leads, its last renewal was sent less than the renew deadline
    /// ago, and the calling work belongs to the current term. Otherwise why not.
    /// </summary>
    public string? WhyNotWrite()
    {
        lock (gate)
        {
            if (!leading)
            {
                return "this instance does not hold the lease";
            }

            var age = time.GetElapsedTime(renewedAt);
            if (age >= renewDeadline)
            {
                return $"the lease was last renewed {age.TotalMilliseconds:0} ms ago, not within the renew deadline of {renewDeadline.TotalMilliseconds:0} ms";
            }

            if (AmbientTerm.Value is { } workTerm && workTerm != term)
            {
                return $"the work began in leadership term {workTerm}, and term {term} is current";
            }

            return null;
        }
    }
}
