using BlueGreenOperator.Hosting;
using BlueGreenOperator.Tests.Runtime;
using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Hosting;

[TestFixture]
internal sealed class MemoryTrimTests
{
    private const long MiB = 1024 * 1024;

    [TestCase(32 * MiB, 0, true)]
    [TestCase(32 * MiB, 1 * MiB, true)]
    [TestCase(32 * MiB, 1 * MiB + 1, false)]
    [TestCase(32 * MiB - 1, 0, false)]
    [TestCase(500 * MiB, 40 * MiB, false)]
    public void Should_trim_only_after_a_burst_once_quiet(long sinceTrim, long overPeriod, bool trims)
    {
        TrimPolicy.From(32).ShouldTrim(sinceTrim, overPeriod).Should().Be(trims);
    }

    [Test]
    public void Should_never_trim_when_turned_off()
    {
        var off = TrimPolicy.From(0);

        off.Enabled.Should().BeFalse();
        off.ShouldTrim(long.MaxValue, 0).Should().BeFalse();
    }

    [Test]
    public async Task Should_wait_out_a_release_and_trim_once_after_it_then_not_again_while_converged()
    {
        var time = new ManualTimeProvider();
        var allocated = 0L;
        var collections = 0;
        using var trim = new MemoryTrim(TrimPolicy.From(32), time, NullLogger<MemoryTrim>.Instance)
        {
            Allocated = () => Interlocked.Read(ref allocated),
            Collect = () => Interlocked.Increment(ref collections),
        };
        await trim.StartAsync(CancellationToken.None);
        await Loopback.Until(() => time.ArmedTimers == 1);

        // A release: 20 MiB every period, never quiet.
        for (var period = 0; period < 5; period++)
        {
            Interlocked.Add(ref allocated, 20 * MiB);
            await Tick(time, trim);
        }

        collections.Should().Be(0, "a release in progress allocates steadily and is not interrupted");

        // Converged: a scrape's worth of allocation a period.
        Interlocked.Add(ref allocated, 64 * 1024);
        await Tick(time, trim);
        collections.Should().Be(1, "the burst of 100 MiB is over and the process is quiet");

        for (var period = 0; period < 10; period++)
        {
            Interlocked.Add(ref allocated, 64 * 1024);
            await Tick(time, trim);
        }

        collections.Should().Be(1, "nothing worth giving back was allocated since");
        trim.Trims.Should().Be(1);
        await trim.StopAsync(CancellationToken.None);
    }

    /// <summary>One period passes; returns once the trim has looked at it (its loop runs on the thread pool).</summary>
    private static async Task Tick(ManualTimeProvider time, MemoryTrim trim)
    {
        var seen = trim.Periods;
        time.Advance(TimeSpan.FromSeconds(10));
        await Loopback.Until(() => trim.Periods == seen + 1);
    }
}
