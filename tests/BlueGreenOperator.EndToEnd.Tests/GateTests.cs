using System.Globalization;
using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>
/// Release gates on the real control plane with the invariant monitor: the model identity question (rows M1, M2) and
/// the warm-up of new pods and of the warm standby (rows W1–W4), against the example model server's cold start.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class GateTests
{
    const string Impostor = "v1-impostor";

    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10), DefaultRequestHeaders = { ConnectionClose = true } };

    /// <summary>A model that is slow for its first three requests (2 s, 1.3 s, 0.7 s) and cold again after 10 s without one.</summary>
    static readonly Dictionary<string, string> ColdModel = new()
    {
        ["COLD_START_MS"] = "2000",
        ["COLD_START_REQUESTS"] = "3",
        ["COLD_AFTER_IDLE_SECONDS"] = "10",
    };

    /// <summary>Four golden predictions per pod before its smoke tests; the standby warmed up every 2 s; smoke tests bound latency to 1 s.</summary>
    static void Warmed(BlueGreenDeploymentSpec spec)
    {
        spec.Warmup = new WarmupSpec
        {
            Count = 4,
            StandbyIntervalSeconds = 2,
            Requests = [new CheckSpec { Name = "golden", Inference = ModelRollout.Golden() }],
        };
        // A cold pod's first prediction takes 2 s: this smoke test passes only on a warmed pod.
        spec.SmokeTests[1].MaxLatencyMs = 1000;
        spec.Strategy.StabilizationSeconds = 120;
    }

    [Test]
    public async Task M1_Should_refuse_a_release_whose_pods_serve_another_version_and_never_let_them_take_traffic()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch(Impostor);
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");

        // The spec says v2; the pods say they serve another version (as a template edited to an old image would).
        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", knobs: new Dictionary<string, string> { [ModelRollout.ReportedVersion] = Impostor }));
        var aborted = await rollout.WaitForAsync(s => s.Phase == Phase.Degraded && s.AbortedRevision is not null, "the refusal of the impostor pods");

        TestContext.Out.WriteLine($"status.message: {aborted.Status!.Message}");
        aborted.Status.Message.Should().MatchRegex($"^Revision [0-9a-f]+ on green: pod iris-green-[-a-z0-9]+ serves iris version {Impostor}, expected v2$");
        aborted.Status.SmokeTests.Should().ContainSingle(r => r.Name == PodGates.IdentityCheck).Which.Passed.Should().BeFalse();
        aborted.Status.SmokeTests.Should().NotContain(r => r.Name == "golden", "a refused pod is not tested");
        aborted.Status.ActiveModelVersion.Should().Be("v1");
        await BlueGreenOperator.LocalCluster.Eventually.UntilAsync(
            async _ => (await rollout.DeploymentAsync("green"))?.Spec.Replicas == 0, TimeSpan.FromSeconds(20), "green to be scaled to 0");
        (await rollout.ServedModelVersionsAsync()).Should().HaveCount(3).And.OnlyContain(v => v == "v1");
        await rollout.WaitForEventsAsync("SmokeTestsFailed");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task W1_W3_Should_warm_new_pods_up_before_their_smoke_tests_keep_the_standby_warm_and_roll_back_onto_warm_pods()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1", knobs: ColdModel, edit: Warmed));
        var first = await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");

        // W1, W2: every pod had its warm-up before its smoke tests (which bound latency below a cold pod's first answer).
        var warmup = first.Status!.Warmup!;
        TestContext.Out.WriteLine("v1 warm-up: " + string.Join("; ", warmup.Pods!.Select(p => $"{p.Name} {p.Requests} requests, first {p.FirstLatencyMs} ms, last {p.LastLatencyMs} ms")));
        warmup.PodCount.Should().Be(3);
        warmup.Pods.Should().HaveCount(3).And.OnlyContain(p => p.Requests == 4 && p.Failed == 0);
        warmup.Pods.Should().OnlyContain(p => p.LastLatencyMs < 1000, "each warm-up ended on a warm answer");
        // Who paid the cold start: the status holds the last warm-up run, and a run that started while a pod was still
        // unready starts again once it is ready, so its pods already warm answer its first request warm. The model
        // server counts every cold answer, and a smoke test (latency bound 1 s) cannot have been one of them.
        first.Status.SmokeTests.Should().OnlyContain(r => r.Passed);
        foreach (var pod in await PodsAsync(rollout, "blue"))
            (await ScrapeAsync(pod, "model_cold_start_requests_total")).Should().Be(3, "the warm-up paid the whole cold start of {0}", pod.Metadata.Name);

        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", knobs: ColdModel, edit: Warmed));
        await rollout.WaitForAsync(s => s.Phase == Phase.Stabilizing && s.ActiveModelVersion == "v2" && s.StandbyColor == "blue", "v2 serving, blue the standby");
        await BlueGreenOperator.LocalCluster.Eventually.UntilAsync(
            async _ => (await PodsAsync(rollout, "blue")).Count == 1, TimeSpan.FromSeconds(60), "blue to shrink to its one standby pod");
        var standby = (await PodsAsync(rollout, "blue")).Single();
        var before = await ScrapeAsync(standby, "model_requests_total");
        var runsBefore = (await rollout.GetOrNullAsync())!.Status!.StandbyWarmup?.Runs ?? 0;

        // W3, W4: with no traffic, the standby's pod gets warm-up requests at the interval, longer than it takes to go cold.
        var kept = await rollout.WaitForAsync(s => s.StandbyWarmup?.Runs >= runsBefore + 8, "eight more warm-ups of the standby (16 s, beyond its 10 s idle cooling)", 90);
        var after = await ScrapeAsync(standby, "model_requests_total");
        var coldBefore = await ScrapeAsync(standby, "model_cold_start_requests_total");
        TestContext.Out.WriteLine($"standby {standby.Metadata.Name}: {after - before} requests while it was the standby; status.standbyWarmup: runs {kept.Status!.StandbyWarmup!.Runs}, "
            + string.Join("; ", kept.Status.StandbyWarmup.Pods!.Select(p => $"{p.Name} first {p.FirstLatencyMs} ms, last {p.LastLatencyMs} ms")));
        // One run may have been under way at the first scrape: seven whole runs at least fall between the scrapes.
        (after - before).Should().BeGreaterThanOrEqualTo(7 * 4, "each warm-up sends four requests to the standby's pod");
        kept.Status.StandbyWarmup.Color.Should().Be("blue");

        // The rollback lands on the warm pod: none of its answers after the switch waited for a cold start.
        var (sumBefore, countBefore) = (await ScrapeAsync(standby, "model_inference_duration_seconds_sum"), await ScrapeAsync(standby, "model_inference_duration_seconds_count"));
        await rollout.ActAsync(RolloutAction.Rollback);
        await rollout.WaitForAsync(s => s.Phase == Phase.RolledBack && s.ActiveModelVersion == "v1" && s.LastSwitchMilliseconds is not null, "the rollback to blue");
        await rollout.UntilAsync(async () => (await ScrapeAsync(standby, "model_requests_total")) > after + 20, "traffic to reach the former standby's pod");
        var (sum, count) = (await ScrapeAsync(standby, "model_inference_duration_seconds_sum"), await ScrapeAsync(standby, "model_inference_duration_seconds_count"));
        TestContext.Out.WriteLine($"former standby {standby.Metadata.Name} after the rollback: {count - countBefore} answers, "
            + $"{(sum - sumBefore) * 1000 / Math.Max(1, count - countBefore):F1} ms on average as the server measured them (a cold answer takes 2000 ms)");
        (await ScrapeAsync(standby, "model_cold_start_requests_total")).Should().Be(coldBefore, "the former standby's pod answered its first requests after the switch warm");
        await rollout.AssertInvariantsHeldAsync();
    }

    static async Task<IReadOnlyList<V1Pod>> PodsAsync(ModelRollout rollout, string color) =>
        (await ModelRollout.Client.CoreV1.ListNamespacedPodAsync(rollout.Ns, labelSelector: $"{WellKnown.ColorLabel}={color}")).Items
            .Where(p => p.Metadata.DeletionTimestamp is null && p.Status?.PodIP is not null && p.Status.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true)
            .ToList();

    /// <summary>The sum of a metric's samples on the pod's model server (every status code of a counter).</summary>
    static async Task<double> ScrapeAsync(V1Pod pod, string metric)
    {
        var text = await Http.GetStringAsync($"http://{pod.Status.PodIP}:8080/metrics");
        return text.Split('\n')
            .Where(line => line.StartsWith(metric + "{", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));
    }
}
