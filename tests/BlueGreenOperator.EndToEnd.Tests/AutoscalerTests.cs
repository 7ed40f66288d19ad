using System.Diagnostics;
using System.Text.Json;
using BlueGreenOperator.Api;
using BlueGreenOperator.EndToEnd.Tests.Harness;
using BlueGreenOperator.EndToEnd.Tests.Shipping;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>
/// A real HorizontalPodAutoscaler (the controller manager's, on the local cluster's metrics API) scaling a
/// BlueGreenDeployment through its scale subresource on the CPU its pods burn under load, across a blue-green switch.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class AutoscalerTests
{
    const int MinReplicas = 2;
    const int MaxReplicas = 4;

    // What a user applies (README, "Autoscaling"): the autoscaler measures the serving colour only, through status.selector.
    static readonly string Autoscaler = $$"""
        apiVersion: autoscaling/v2beta2
        kind: HorizontalPodAutoscaler
        metadata:
          name: {{ModelRollout.Name}}
        spec:
          scaleTargetRef:
            apiVersion: {{WellKnown.Group}}/{{WellKnown.Version}}
            kind: {{WellKnown.Kind}}
            name: {{ModelRollout.Name}}
          minReplicas: {{MinReplicas}}
          maxReplicas: {{MaxReplicas}}
          metrics:
          - type: Resource
            resource:
              name: cpu
              target:
                type: Utilization
                averageUtilization: 50
          behavior:
            scaleDown:
              stabilizationWindowSeconds: 15
        """;

    [Test]
    public async Task Should_scale_the_serving_colour_up_under_cpu_load_follow_the_switch_to_the_new_colour_and_scale_it_down_after_the_load()
    {
        await using var rollout = await ModelRollout.StartAsync();
        // The invariant monitor's own traffic stays light (about one request a second): it must not be load itself.
        rollout.Watch(new TrafficOptions(Concurrency: 1, Pause: TimeSpan.FromSeconds(1)));
        await rollout.ApplyAsync(Release("v1", MinReplicas));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
        await rollout.WaitForServingAsync("v1", replicas: MinReplicas);
        await using var blue = await DeploymentHistory.StartAsync(ModelRollout.Client, rollout.Ns, $"{ModelRollout.Name}-blue");
        await using var green = await DeploymentHistory.StartAsync(ModelRollout.Client, rollout.Ns, $"{ModelRollout.Name}-green");

        var manifest = Path.Combine(Path.GetTempPath(), $"{rollout.Ns}-hpa.yaml");
        await File.WriteAllTextAsync(manifest, Autoscaler);
        await Kubectl.RunCheckedAsync("apply", "--namespace", rollout.Ns, "-f", manifest);
        File.Delete(manifest);
        await rollout.UntilAsync(async () => Condition(await AutoscalerAsync(rollout), "ScalingActive") == "True", "the autoscaler reading the pods' CPU", 120);
        // A pod's start (training its model, warming up) is CPU the autoscaler may answer with a scale-up; idle, the
        // colour settles at the minimum within the scale-down window, and only then does the load start.
        await rollout.UntilAsync(async () => (await rollout.GetOrNullAsync())?.Spec.Replicas == MinReplicas && (await rollout.GetOrNullAsync())?.Status?.Replicas == MinReplicas,
            "idle pods to settle at the autoscaler's minimum", 180);

        // Load: real inference requests to the active Service's ready addresses, each burning 10 ms of CPU in the pod.
        var clock = Stopwatch.StartNew();
        await using var load = TrafficGenerator.Start(ModelRollout.Client, rollout.Ns, ModelRollout.ServiceName, [],
            new TrafficOptions(Concurrency: 3, Pause: TimeSpan.FromMilliseconds(100), MaxRequests: 40_000, MaxDuration: TimeSpan.FromMinutes(8)));
        await rollout.WaitForAsync(s => s.Replicas == MaxReplicas, "the autoscaler scaling the serving colour to its maximum under load", 180);
        await rollout.WaitForServingAsync("v1", replicas: MaxReplicas);
        var scaledUp = clock.Elapsed;
        var loadedFrom = DateTime.UtcNow;
        DateTime? switchedAt = null;
        rollout.Forbid($"the serving colour blue went below {MaxReplicas} under load before the switch",
            () => blue.Since(loadedFrom).Any(s => s.At < (switchedAt ?? DateTime.MaxValue) && s.Replicas < MaxReplicas));

        // A release under load: the new colour comes up at the size the autoscaler asks now (the manifest leaves
        // replicas to the autoscaler, as with a Deployment), and the autoscaler follows the switch.
        var current = (await rollout.GetOrNullAsync())!.Spec.Replicas;
        await rollout.ApplyAsync(Release("v2", current));
        var switched = await rollout.WaitForAsync(s => s.ActiveModelVersion == "v2" && s.LastSwitchMilliseconds is not null, "the switch to v2 under load", 180);
        switchedAt = DateTime.UtcNow;
        DateTime? loadStoppedAt = null;
        rollout.Forbid($"the serving colour green went below {MaxReplicas} under load after the switch",
            () => green.Since(switchedAt.Value).Any(s => s.At < (loadStoppedAt ?? DateTime.MaxValue) && s.Replicas < MaxReplicas));
        green.States.Where(s => s.Replicas > 0).Select(s => s.Replicas).Should().OnlyContain(r => r == MaxReplicas,
            "the new colour was brought up at the serving colour's current size");
        await rollout.WaitForServingAsync("v2", replicas: MaxReplicas);
        var scale = JsonSerializer.SerializeToElement(await ModelRollout.Client.CustomObjects.GetNamespacedCustomObjectScaleAsync(
            WellKnown.Group, WellKnown.Version, rollout.Ns, WellKnown.Plural, ModelRollout.Name));
        scale.GetProperty("status").GetProperty("selector").GetString().Should().Contain($"{WellKnown.ColorLabel}=green")
            .And.Contain($"pod-template-hash={switched.Status!.ActivePodTemplateHash}");
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v2");

        var loadReport = await load.StopAsync();
        loadStoppedAt = DateTime.UtcNow;
        clock.Restart();
        await rollout.WaitForAsync(s => s.Replicas == MinReplicas, "the autoscaler scaling the new colour down after the load", 180);
        await rollout.WaitForServingAsync("v2", replicas: MinReplicas);
        (await rollout.DeploymentAsync("green"))!.Spec.Replicas.Should().Be(MinReplicas, "the autoscaler measured and resized the colour that serves now");
        var scaledDown = clock.Elapsed;

        await TestContext.Out.WriteLineAsync($"load {loadReport}");
        await TestContext.Out.WriteLineAsync($"load to {MaxReplicas} ready serving pods: {scaledUp.TotalSeconds:F1} s; load stopped to {MinReplicas} serving pods: {scaledDown.TotalSeconds:F1} s");
        loadReport.Requests.Should().BeGreaterThan(0);
        loadReport.Untested.Should().Be(0);
        var rescales = (await ModelRollout.Client.CoreV1.ListNamespacedEventAsync(rollout.Ns, fieldSelector: "involvedObject.kind=HorizontalPodAutoscaler")).Items
            .Where(e => e.Reason == "SuccessfulRescale").Select(e => e.Message).ToList();
        rescales.Should().Contain(m => m.Contains("above target", StringComparison.Ordinal)).And.Contain(m => m.Contains("below target", StringComparison.Ordinal));
        await rollout.AssertInvariantsHeldAsync();
    }

    /// <summary>A release whose pods ask for 100m of CPU (what utilization is measured against) and burn 10 ms of CPU per inference.</summary>
    static BlueGreenDeployment Release(string version, int replicas) =>
        ModelRollout.Model(version, version, replicas, knobs: new Dictionary<string, string> { ["CPU_WORK_MS"] = "10" }, edit: s =>
        {
            s.Template.Spec.Containers[0].Resources = new V1ResourceRequirements
            {
                Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("100m") },
            };

            // The old colour stays at full size a while after the switch, so the test can tell its shrink from the standby's.
            s.Strategy.ScaleDownDelaySeconds = 20;
        });

    static async Task<JsonElement> AutoscalerAsync(ModelRollout rollout) =>
        JsonSerializer.SerializeToElement(await ModelRollout.Client.CustomObjects.GetNamespacedCustomObjectAsync(
            "autoscaling", "v2beta2", rollout.Ns, "horizontalpodautoscalers", ModelRollout.Name));

    static string? Condition(JsonElement autoscaler, string type) =>
        autoscaler.TryGetProperty("status", out var status) && status.TryGetProperty("conditions", out var conditions)
            ? conditions.EnumerateArray().Where(c => c.GetProperty("type").GetString() == type).Select(c => c.GetProperty("status").GetString()).FirstOrDefault()
            : null;
}
