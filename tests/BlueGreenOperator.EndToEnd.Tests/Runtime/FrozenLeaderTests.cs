using System.Collections.Concurrent;
using System.Diagnostics;
using BlueGreenOperator.Api;
using BlueGreenOperator.LocalCluster;
using BlueGreenOperator.LocalCluster.Testing;
using BlueGreenOperator.Rollout;
using k8s;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests.Runtime;

/// <summary>
/// Never two writers: a leader frozen (SIGSTOP) while one of its writes is pending loses its Lease to a follower,
/// which finishes the release; thawed, the old leader sends nothing, its pending write refused by the write fence.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class FrozenLeaderTests
{
    // Long enough to freeze the leader while a write waits, short enough for the rollout before the freeze.
    const int WriteDelayMs = 5000;

    [Test]
    public async Task Should_send_no_write_from_a_frozen_leader_after_a_follower_took_over()
    {
        await using var rollout = await ModelRollout.StartAsync(startOperator: false);

        // A first leader (no delay) serves v1.
        await using var first = await OperatorProcess.StartAsync(rollout.Ns, leaderElection: true, identity: "first");
        await WaitRoleAsync(first, "leading");
        rollout.Operator = first;
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");

        // The instance to freeze, each of its writes held back before the fence, takes the Lease at the first leader's graceful stop.
        await using var frozen = await OperatorProcess.StartAsync(rollout.Ns, leaderElection: true, identity: "frozen",
            environment: new Dictionary<string, string> { ["BLUEGREEN_TEST_WRITE_DELAY_MS"] = WriteDelayMs.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await WaitRoleAsync(frozen, "standing by");
        await first.StopAsync();
        await WaitRoleAsync(frozen, "leading");
        await using var successor = await OperatorProcess.StartAsync(rollout.Ns, leaderElection: true, identity: "successor");
        await WaitRoleAsync(successor, "standing by");
        rollout.Operator = frozen;

        // A new release makes the leader reconcile; freeze it while its first write waits to be sent.
        using var selectors = new SelectorHistory(rollout);
        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2"));
        await Eventually.UntilAsync(async _ => await frozen.MetricAsync("bluegreen_fence_test_delayed") >= 1,
            TimeSpan.FromSeconds(60), "the leader to hold a write back");
        var before = await frozen.ApiRequestsAsync();
        var refusedBefore = await frozen.MetricAsync("bluegreen_fence_refused");
        var allowedBefore = await frozen.MetricAsync("bluegreen_fence_allowed");
        frozen.Freeze();
        var frozenFor = Stopwatch.StartNew();
        selectors.Mark("frozen");

        await WaitRoleAsync(successor, "leading", seconds: 60);
        var handOver = frozenFor.Elapsed;
        rollout.Operator = successor;
        var done = await rollout.WaitForPhaseAsync(Phase.Healthy, 180, modelVersion: "v2");
        var decided = done.Status!.ActiveColor;

        frozen.Thaw();
        selectors.Mark("thawed");
        var frozenSeconds = frozenFor.Elapsed.TotalSeconds;
        await Eventually.UntilAsync(
            async _ => await frozen.MetricAsync("bluegreen_fence_refused") > refusedBefore && (await frozen.GetAsync("/readyz")).Body.StartsWith("ready: standing by", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), "the thawed leader to have its pending write refused and to stand by");
        var observedAfterThaw = rollout.Monitor!.Observations;
        await Eventually.UntilAsync(_ => Task.FromResult(rollout.Monitor.Observations >= observedAfterThaw + 20 && selectors.Count("thawed") >= 20),
            TimeSpan.FromSeconds(60), "more looks at the Service after the thaw");
        var after = await frozen.ApiRequestsAsync();
        var refused = await frozen.MetricAsync("bluegreen_fence_refused") - refusedBefore;
        var allowed = await frozen.MetricAsync("bluegreen_fence_allowed") - allowedBefore;

        var sent = after.ToDictionary(p => p.Key, p => p.Value - before.GetValueOrDefault(p.Key));
        TestContext.Out.WriteLine($"hand-over after SIGSTOP: {handOver.TotalMilliseconds:0} ms (lease 6 s, renew deadline 4 s, retry 1 s); frozen {frozenSeconds:0} s");
        TestContext.Out.WriteLine($"frozen leader's requests after SIGCONT, by verb: {string.Join(", ", sent.Select(p => $"{p.Key} {p.Value}"))}; writes refused by its fence: {refused}");
        TestContext.Out.WriteLine($"active Service selector while frozen: {string.Join(" -> ", selectors.Distinct("frozen"))}; after the thaw: {string.Join(" -> ", selectors.Distinct("thawed"))}; the successor decided {decided}");

        allowed.Should().Be(0, "a leader that lost its Lease sends no write");
        // By verb: only a Lease request could be a PUT here (a renewal caught mid-flight by the freeze, refused by the server).
        new[] { "POST", "PATCH", "DELETE" }.Select(verb => sent.GetValueOrDefault(verb)).Should().OnlyContain(n => n == 0, "no object write left the frozen leader");
        refused.Should().BeGreaterThanOrEqualTo(1, "the write it held back when it froze was refused by the fence, not sent");
        selectors.Distinct("thawed").Should().Equal([decided], "after the thaw the Service only ever selects what the new leader decided");
        selectors.Distinct("frozen").Last().Should().Be(decided);
        await rollout.WaitForServingAsync("v2");
        rollout.Monitor.Violations.Should().BeEmpty();
        frozen.Log.Should().Contain("refused before it was sent");
    }

    static Task WaitRoleAsync(OperatorProcess process, string role, int seconds = 30) => Eventually.UntilAsync(
        async _ =>
        {
            var (status, body) = await process.GetAsync("/readyz");
            return status == 200 && body.StartsWith($"ready: {role}", StringComparison.Ordinal);
        },
        TimeSpan.FromSeconds(seconds), $"{process.Identity} to be {role}", interval: TimeSpan.FromMilliseconds(100));

    /// <summary>The active Service's colour, looked at every 50 ms, each look filed under the latest mark.</summary>
    sealed class SelectorHistory : IDisposable
    {
        readonly ConcurrentQueue<(string Mark, string? Color)> _looks = new();
        readonly CancellationTokenSource _stop = new();
        readonly Task _loop;
        volatile string _mark = "before";

        public SelectorHistory(ModelRollout rollout) => _loop = Task.Run(async () =>
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var service = await ModelRollout.Client.CoreV1.ReadNamespacedServiceAsync(ModelRollout.ServiceName, rollout.Ns, cancellationToken: _stop.Token);
                    _looks.Enqueue((_mark, service.Spec.Selector is { } s && s.TryGetValue(WellKnown.ColorLabel, out var c) ? c : null));
                }
                catch (Exception e) when (e is k8s.Autorest.HttpOperationException or OperationCanceledException)
                {
                }

                await Task.Delay(50, _stop.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        });

        public void Mark(string mark) => _mark = mark;

        public int Count(string mark) => _looks.Count(l => l.Mark == mark);

        /// <summary>The colours seen under a mark, consecutive repeats folded.</summary>
        public IReadOnlyList<string?> Distinct(string mark)
        {
            var colors = new List<string?>();
            foreach (var (_, color) in _looks.Where(l => l.Mark == mark))
            {
                if (colors.Count == 0 || colors[^1] != color)
                    colors.Add(color);
            }

            return colors;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _loop.Wait(TimeSpan.FromSeconds(5));
            _stop.Dispose();
        }
    }
}
