using System.Diagnostics;
using BlueGreenOperator.Tests.Rollout.Simulation;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Rollout;

/// <summary>
/// The adversarial model-based test (docs/design.md, "Invariants"): thousands of seeded runs of the real reconciler
/// and planner against a simulated cluster that fails, loses and races their writes and edits what they own.
/// A failure prints its seed; <c>BLUEGREEN_SIM_SEED=N dotnet test --filter Should_hold_the_invariants</c> replays one run,
/// <c>BLUEGREEN_SIM_RUNS=100000</c> makes a soak run.
/// </summary>
[TestFixture]
public sealed class RolloutSimulationTests
{
    const int DefaultRuns = 5000;

    [Test]
    public void Should_hold_the_invariants_and_converge_in_every_disturbed_run()
    {
        var seeds = Environment.GetEnvironmentVariable("BLUEGREEN_SIM_SEED") is { Length: > 0 } one
            ? [int.Parse(one, System.Globalization.CultureInfo.InvariantCulture)]
            : Enumerable.Range(1, Environment.GetEnvironmentVariable("BLUEGREEN_SIM_RUNS") is { Length: > 0 } runs
                ? int.Parse(runs, System.Globalization.CultureInfo.InvariantCulture)
                : DefaultRuns).ToArray();

        var clock = Stopwatch.StartNew();
        var results = new SimRun[seeds.Length];
        var failures = new System.Collections.Concurrent.ConcurrentBag<(int Seed, string Message)>();
        Parallel.For(0, seeds.Length, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var run = new SimRun(seeds[i]) { Verbose = seeds.Length == 1 };
            results[i] = run;
            try
            {
                run.Run();
            }
            catch (Exception e) when (e is AssertionException or Exception)
            {
                failures.Add((seeds[i], e.Message));
            }
        });

        if (!failures.IsEmpty)
        {
            var first = failures.OrderBy(f => f.Seed).ToList();
            Assert.Fail($"{first.Count} of {seeds.Length} runs failed (seeds {string.Join(", ", first.Take(20).Select(f => f.Seed))}); the first:\n{first[0].Message}");
        }

        var injected = results.SelectMany(r => r.Injected).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Sum(p => p.Value));
        var events = results.SelectMany(r => r.World.EventReasons).GroupBy(p => p.Key).ToDictionary(g => g.Key, g => g.Sum(p => p.Value));
        TestContext.Out.WriteLine($"adversarial simulation: {seeds.Length} runs in {clock.Elapsed.TotalSeconds:F1} s; " +
            $"{results.Sum(r => (long)r.Ticks)} ticks, {results.Sum(r => (long)r.Reconciles)} reconciles, {results.Sum(r => (long)r.World.Writes)} writes, " +
            $"{results.Sum(r => r.World.Switches)} selector moves, {results.Sum(r => r.Checks.Runs)} check runs, {results.Sum(r => r.Crashes)} crashes, {results.Sum(r => r.TemplatesLost)} runs ended with the serving template lost");
        TestContext.Out.WriteLine("disturbances injected: " + string.Join(", ", injected.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}")));
        TestContext.Out.WriteLine("events recorded: " + string.Join(", ", events.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}")));

        if (seeds.Length < DefaultRuns)
            return;
        // The runs must really have exercised what they claim to.
        foreach (var kind in new[]
        {
            "deletion of a Deployment", "deletion of the active Service", "deletion of the preview Service", "deletion of a recorded template",
            "hand edit of a template", "hand edit of replicas", "hand edit of labels", "hand edit of the selector", "hand edit of Service ports",
            "write conflict (409)", "write refused (422)", "write failed (500)", "write response lost", "quota exhausted",
            "stale second writer", "stale read of the object", "object no longer decodes", "pod turned unready", "operator crash",
            "capacity short",
        })
        {
            injected.GetValueOrDefault(kind).Should().BeGreaterThan(seeds.Length / 20, $"the runs must inject '{kind}'");
        }

        foreach (var reason in new[]
        {
            "Switched", "RolledBack", "SmokeTestsFailed", "ProgressDeadlineExceeded", "SelectorRestored", "DeploymentRestored",
            "ServiceRestored", "WriteRefused", "DeploymentReverted", "InsufficientCapacity", "StandbyPlaced",
        })
            events.GetValueOrDefault(reason).Should().BeGreaterThan(0, $"the runs must reach '{reason}'");
    }
}
