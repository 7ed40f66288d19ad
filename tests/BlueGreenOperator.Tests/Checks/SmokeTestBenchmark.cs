using System.Diagnostics;
using BlueGreenOperator.Api;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Checks.Probing;

namespace BlueGreenOperator.Tests.Checks;

/// <summary>How long a smoke-test run takes on many pods; prints numbers, asserts only that the run passed.</summary>
[TestFixture]
[Explicit("benchmark: run by name to print timings")]
public sealed class SmokeTestBenchmark : AgainstModelServer
{
    [Test]
    public async Task Should_run_two_checks_three_times_on_fifty_pods()
    {
        var checks = new[] { Http("ready", new HttpCheckSpec { Port = Model.Port, Path = "/v2/health/ready" }), Golden(Model.Port, edit: c => c.Repeat = 3) };
        await RunAsync(Pods(1), checks);

        var clock = Stopwatch.StartNew();
        var report = await RunAsync(Pods(50), checks);
        clock.Stop();

        report.Passed.Should().BeTrue(report.Summary);
        var latencies = report.Results.Select(r => r.LatencyMs).Order().ToList();
        TestContext.Out.WriteLine(
            $"50 pods x (1 readiness + 3 inference) = {Model.Received.Count - 4} requests in {clock.ElapsedMilliseconds} ms; "
            + $"worst-attempt latency per result p50 {latencies[latencies.Count / 2]} ms, max {latencies[^1]} ms");
    }
}
