using System.Diagnostics;

namespace BlueGreenOperator.Benchmarks.Harness;

/// <summary>One monotonic clock for the whole run, so that a write and the watch event it causes are compared on the same scale.</summary>
internal static class RunClock
{
    static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static TimeSpan Now => Clock.Elapsed;
}
