using System.Diagnostics;
using BlueGreenOperator.LocalCluster;
using BlueGreenOperator.LocalCluster.Testing;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>The operator dies, competes and idles: the rollout still ends right, and a converged object costs nothing.</summary>
[TestFixture]
[NonParallelizable]
public sealed class OperatorResilienceTests
{
    [Test]
    public async Task Should_complete_the_rollout_when_the_operator_is_killed_in_every_phase()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");

        // Slow answers make Testing last about a second; a preview of one pod adds a Promoting phase with a scale-up.
        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", knobs: new Dictionary<string, string> { ["ADDED_LATENCY_MS"] = "500" }, edit: s =>
        {
            s.Strategy.StabilizationSeconds = 15;
            s.Strategy.PreviewReplicas = 1;
        }));
        var killedIn = new List<string>();
        string? last = null;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(3))
        {
            var current = await rollout.GetOrNullAsync();
            var phase = current?.Status?.Phase;
            if (phase == Phase.Healthy && current!.Status!.ActiveModelVersion == "v2")
                break;
            if (phase is not null && phase != last && phase != Phase.Healthy)
            {
                // SIGKILL in the middle of this phase, then a fresh process that knows only what the cluster knows.
                await rollout.Operator.KillAsync();
                killedIn.Add(phase);
                rollout.Operator = await OperatorProcess.StartAsync(rollout.Ns);
                last = phase;
            }

            rollout.Monitor!.ThrowIfViolated();
            await Task.Delay(TimeSpan.FromMilliseconds(150));
        }

        var done = await rollout.WaitForPhaseAsync(Phase.Healthy, 60, modelVersion: "v2");
        TestContext.Out.WriteLine($"killed in phases: {string.Join(", ", killedIn)}");
        killedIn.Should().Contain([Phase.Progressing, Phase.Promoting, Phase.Stabilizing]);
        done.Status!.ActiveColor.Should().Be("green");
        await rollout.UntilAsync(async () => (await rollout.DeploymentAsync("blue"))?.Spec.Replicas == 0, "blue to be scaled to 0");
        await rollout.WaitForServingAsync("v2");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_let_only_the_leader_act_and_hand_over_when_it_dies()
    {
        await using var rollout = await ModelRollout.StartAsync(startOperator: false);
        await using var first = await OperatorProcess.StartAsync(rollout.Ns, leaderElection: true);
        await using var second = await OperatorProcess.StartAsync(rollout.Ns, leaderElection: true);
        var (leader, follower) = await LeaderOfAsync(first, second);
        rollout.Operator = leader;
        rollout.Watch();

        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
        OperatorProcess.Writes(await follower.ApiRequestsAsync()).Should().Be(0, "a follower writes nothing");
        OperatorProcess.Writes(await leader.ApiRequestsAsync()).Should().BeGreaterThan(0);

        var killedAt = Stopwatch.StartNew();
        await leader.KillAsync();
        await Eventually.UntilAsync(async _ => (await ReadyTextAsync(follower)).Contains("leading"), TimeSpan.FromSeconds(30), "the follower to lead");
        TestContext.Out.WriteLine($"hand-over after SIGKILL: {killedAt.ElapsedMilliseconds} ms (lease duration 6 s)");
        killedAt.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(20), "the successor takes over within the lease duration plus its retry period");

        rollout.Operator = follower;
        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2"));
        await rollout.WaitForAsync(s => s.ActiveModelVersion == "v2", "the new leader's switch");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_hand_over_at_once_when_the_leader_stops_gracefully()
    {
        await using var rollout = await ModelRollout.StartAsync(startOperator: false);
        await using var first = await OperatorProcess.StartAsync(rollout.Ns, leaderElection: true);
        await using var second = await OperatorProcess.StartAsync(rollout.Ns, leaderElection: true);
        var (leader, follower) = await LeaderOfAsync(first, second);

        var stoppedAt = Stopwatch.StartNew();
        await leader.StopAsync();
        await Eventually.UntilAsync(async _ => (await ReadyTextAsync(follower)).Contains("leading"), TimeSpan.FromSeconds(30), "the follower to lead");
        TestContext.Out.WriteLine($"hand-over after SIGTERM (lease released): {stoppedAt.ElapsedMilliseconds} ms");
        leader.Log.Should().Contain("Released lease", "the leader gives its lease back on shutdown");
    }

    [Test]
    public async Task Should_make_no_write_for_a_converged_object_over_thirty_seconds()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1", edit: s => s.Strategy.StabilizationSeconds = 0));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
        await Task.Delay(TimeSpan.FromSeconds(3)); // events of the last writes settle

        var before = await rollout.Operator.ApiRequestsAsync();
        await Task.Delay(TimeSpan.FromSeconds(30));
        var after = await rollout.Operator.ApiRequestsAsync();

        var writes = OperatorProcess.Writes(after) - OperatorProcess.Writes(before);
        TestContext.Out.WriteLine($"requests over 30 s: {string.Join(", ", after.Select(p => $"{p.Key} {p.Value - before.GetValueOrDefault(p.Key)}"))}");
        writes.Should().Be(0);
        before.Values.Sum().Should().BeGreaterThan(0, "the counter must be counting");
        await rollout.AssertInvariantsHeldAsync();
    }

    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    static async Task<string> ReadyTextAsync(OperatorProcess process)
    {
        try
        {
            return await Http.GetStringAsync($"http://127.0.0.1:{process.Port}/readyz");
        }
        catch (HttpRequestException)
        {
            return "";
        }
    }

    static async Task<(OperatorProcess Leader, OperatorProcess Follower)> LeaderOfAsync(OperatorProcess a, OperatorProcess b)
    {
        OperatorProcess? leader = null;
        await Eventually.UntilAsync(async _ =>
        {
            leader = (await ReadyTextAsync(a)).Contains("leading") ? a : (await ReadyTextAsync(b)).Contains("leading") ? b : null;
            return leader is not null;
        }, TimeSpan.FromSeconds(30), "one operator to lead");
        var follower = ReferenceEquals(leader, a) ? b : a;
        (await ReadyTextAsync(follower)).Should().Contain("standing by");
        return (leader!, follower);
    }
}
