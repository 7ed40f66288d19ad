using System.Diagnostics;

namespace BlueGreenOperator.Hosting;

/// <summary>
/// When to give memory back: after a burst of at least <paramref name="BurstBytes"/> allocated since the last trim,
/// once the process has gone quiet (at most <paramref name="QuietBytes"/> allocated over the last period). A
/// converged operator allocates almost nothing, so it never collects on its own and keeps the heap a list or a
/// release grew to; a release in progress allocates steadily and is never interrupted.
/// </summary>
internal sealed record TrimPolicy(long BurstBytes, long QuietBytes, TimeSpan Period)
{
    public const int DefaultBurstMiB = 32;

    public static TrimPolicy From(int burstMiB) => new((long)Math.Max(0, burstMiB) * 1024 * 1024, 1024 * 1024, TimeSpan.FromSeconds(10));

    public bool Enabled => BurstBytes > 0;

    public bool ShouldTrim(long allocatedSinceTrim, long allocatedOverPeriod) =>
        Enabled && allocatedSinceTrim >= BurstBytes && allocatedOverPeriod <= QuietBytes;
}

/// <summary>
/// Gives the memory of a finished burst back to the system: a blocking, compacting collection in the GC's
/// aggressive mode, which also returns the free regions the GC would otherwise keep committed (docs/scale.md,
/// "Runtime settings"). It runs only under <see cref="TrimPolicy"/>: after a burst, once quiet.
/// </summary>
internal sealed class MemoryTrim(TrimPolicy policy, TimeProvider time, ILogger<MemoryTrim> logger) : BackgroundService
{
    /// <summary>Bytes allocated by the process so far; replaced by tests.</summary>
    internal Func<long> Allocated { get; init; } = () => GC.GetTotalAllocatedBytes(precise: false);

    /// <summary>The collection itself; replaced by tests.</summary>
    internal Action Collect { get; init; } = static () =>
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    private int trims;
    private int periods;

    /// <summary>Trims so far.</summary>
    public int Trims => Volatile.Read(ref trims);

    /// <summary>Periods looked at so far.</summary>
    public int Periods => Volatile.Read(ref periods);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!policy.Enabled)
        {
            return;
        }

        var trimmedAt = 0L;
        var tickAt = Allocated();
        using var timer = new PeriodicTimer(policy.Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = Allocated();
                if (policy.ShouldTrim(now - trimmedAt, now - tickAt))
                {
                    Trim();
                    now = Allocated();
                    trimmedAt = now;
                }

                tickAt = now;
                Interlocked.Increment(ref periods);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private void Trim()
    {
        var before = GC.GetGCMemoryInfo().TotalCommittedBytes;
        var started = Stopwatch.GetTimestamp();
        Collect();
        Interlocked.Increment(ref trims);
        logger.LogInformation(
            "Gave memory back after a burst: GC heap committed {BeforeMiB:F1} → {AfterMiB:F1} MiB in {Milliseconds:F0} ms",
            before / 1048576.0, GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576.0, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}
