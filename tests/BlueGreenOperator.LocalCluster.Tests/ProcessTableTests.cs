using BlueGreenOperator.LocalCluster.Metrics;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.LocalCluster.Tests;

[TestFixture]
public sealed class ProcessTableTests
{
    [Test]
    public void Should_read_parent_cpu_time_and_resident_pages_after_a_command_name_with_spaces_and_parentheses()
    {
        const string line = "4242 (my (odd) server) S 4200 4242 4200 0 -1 4194560 900 0 0 0 150 25 0 0 20 0 9 0 12345 2000000000 300 18446744073709551615";

        var sample = ProcessTable.ParseStat(4242, line);

        sample.Should().NotBeNull();
        sample!.Value.ParentPid.Should().Be(4200);
        sample.Value.CpuTicks.Should().Be(175, "utime + stime");
        sample.Value.ResidentBytes.Should().Be(300 * Environment.SystemPageSize);
    }

    [Test]
    public void Should_count_a_container_trees_cpu_over_the_window_with_a_child_born_within_it_counted_whole()
    {
        var at = DateTime.UtcNow;
        var earlier = new ProcessTable(at, [new(10, 1, 100, 4096), new(11, 10, 50, 4096), new(99, 1, 7, 0)], 1_000, 0);
        var latest = new ProcessTable(
            at.AddSeconds(2),
            [new(10, 1, 100 + ProcessTable.TicksPerSecond, 8192), new(11, 10, 50, 4096), new(12, 11, 10, 4096), new(99, 1, 500, 0)],
            1_000 + ProcessTable.TicksPerSecond,
            0);

        var window = new UsageWindow(earlier, latest);

        var usage = window.Tree(10);
        usage.Should().NotBeNull();
        usage!.Value.Cores.Should().BeApproximately((ProcessTable.TicksPerSecond + 10) / (double)ProcessTable.TicksPerSecond / 2, 1e-9);
        usage.Value.MemoryBytes.Should().Be(8192 + 4096 + 4096, "the tree's resident sets, the unrelated process left out");
        window.Machine.Cores.Should().BeApproximately(0.5, 1e-9);
    }

    [Test]
    public void Should_report_no_usage_for_a_container_that_started_within_the_window()
    {
        var at = DateTime.UtcNow;
        var earlier = new ProcessTable(at, [], 0, 0);
        var latest = new ProcessTable(at.AddSeconds(5), [new(20, 1, 300, 4096)], 0, 0);

        new UsageWindow(earlier, latest).Tree(20).Should().BeNull("a part of a window is not a window");
    }

    [Test]
    public void Should_write_cpu_in_nanocores_and_memory_in_kibibytes()
    {
        new ResourceUsage(0.25, 10 * 1024 * 1024).ToQuantities().Should().BeEquivalentTo(new Dictionary<string, string>
        {
            ["cpu"] = "250000000n",
            ["memory"] = "10240Ki",
        });
    }
}
