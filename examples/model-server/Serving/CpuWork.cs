using System.Runtime.InteropServices;

namespace ModelServer.Serving;

/// <summary>
/// Burns CPU time on the calling thread (<c>CPU_WORK_MS</c>), so that load on the server is load on the CPU an
/// autoscaler measures. Counted in the thread's own CPU time, so a busy machine stretches the wait, not the work.
/// </summary>
internal static partial class CpuWork
{
    private const int ThreadCpuClock = 3; // CLOCK_THREAD_CPUTIME_ID

    public static void Burn(TimeSpan work)
    {
        if (work <= TimeSpan.Zero)
        {
            return;
        }

        var until = ThreadCpuTime() + work;
        var sink = 0UL;
        while (ThreadCpuTime() < until)
        {
            for (var i = 0; i < 10_000; i++)
            {
                sink = (sink * 6364136223846793005UL) + 1442695040888963407UL;
            }
        }

        GC.KeepAlive(sink);
    }

    private static TimeSpan ThreadCpuTime() =>
        ClockGetTime(ThreadCpuClock, out var time) == 0
            ? TimeSpan.FromTicks((time.Seconds * TimeSpan.TicksPerSecond) + (time.Nanoseconds / 100))
            : throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec time);
}
