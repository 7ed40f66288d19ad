using System.Diagnostics;
using System.Text.Json;
using BlueGreenOperator.Api;
using BlueGreenOperator.EndToEnd.Tests.Shipping;
using BlueGreenOperator.LocalCluster.Kubelet;
using BlueGreenOperator.LocalCluster.Testing;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>
/// Autoscaling through the scale subresource, accelerator shortages reported with the scheduler's words, and a standby
/// on other capacity: the real scheduler and the real Deployment controller decide where pods go.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class CapacityTests
{
    [Test]
    public async Task Should_say_within_seconds_that_a_release_asks_for_more_gpus_than_the_node_has_and_give_up_at_its_bound()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch("v2");
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
        await rollout.WaitForServingAsync("v1");

        var clock = Stopwatch.StartNew();
        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", edit: s =>
        {
            s.Template.Spec.Containers[0].Resources = new V1ResourceRequirements
            {
                Limits = new Dictionary<string, ResourceQuantity> { [LocalKubelet.AcceleratorResource] = new($"{LocalKubelet.AcceleratorCapacity + 1}") },
            };
            s.Strategy.InsufficientCapacitySeconds = 8;
        }));

        var shortage = await rollout.WaitForAsync(
            s => s.Conditions?.Any(c => c.Type == "Progressing" && c.Status == "False" && c.Reason == DegradedReasons.InsufficientCapacity) == true,
            "the shortage in status", 60);
        var reported = clock.Elapsed;
        TestContext.Out.WriteLine($"InsufficientCapacity in status {reported.TotalSeconds:F1} s after the release was applied");
        var condition = shortage.Status!.Conditions!.Single(c => c.Type == "Progressing");
        // The scheduler refuses the pods one by one: the first refusal seen is reported at once, with its count.
        condition.Message.Should().MatchRegex("[1-3] of 3 pods of green cannot be scheduled").And.Contain($"Insufficient {LocalKubelet.AcceleratorResource}");
        shortage.Status.InsufficientCapacitySince.Should().NotBeNull();
        shortage.Status.ActiveModelVersion.Should().Be("v1");
        await rollout.WaitForEventsAsync(DegradedReasons.InsufficientCapacity);
        (await rollout.ServedModelVersionsAsync()).Should().OnlyContain(v => v == "v1");

        var gaveUp = await rollout.WaitForAsync(s => s.Phase == Phase.Degraded && s.AbortedReason == DegradedReasons.InsufficientCapacity, "the release given up at its bound");
        TestContext.Out.WriteLine($"given up {clock.Elapsed.TotalSeconds:F1} s after the release was applied (bound 8 s from the first unschedulable pod)");
        gaveUp.Status!.Message.Should().Contain($"Insufficient {LocalKubelet.AcceleratorResource}");
        await rollout.UntilAsync(async () => (await rollout.DeploymentAsync("green"))?.Spec.Replicas == 0, "the pending colour scaled to 0");
        await rollout.WaitForServingAsync("v1");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_resize_the_serving_colour_on_kubectl_scale_down_and_up_when_healthy_and_mid_rollout_without_a_new_release()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        var healthy = await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
        var v1 = healthy.Status!.ActiveRevision;

        await ScaleAsync(rollout, 4);
        await rollout.WaitForServingAsync("v1", replicas: 4);
        var scaled = await rollout.WaitForAsync(s => s.Replicas == 4, "status.replicas at 4");
        scaled.Status!.ActiveRevision.Should().Be(v1, "a replicas change is never a new release");
        scaled.Status.Phase.Should().Be(Phase.Healthy);
        var scale = await ScaleSubresourceAsync(rollout);
        scale.GetProperty("spec").GetProperty("replicas").GetInt32().Should().Be(4);
        scale.GetProperty("status").GetProperty("replicas").GetInt32().Should().Be(4);
        scale.GetProperty("status").GetProperty("selector").GetString().Should().Contain("bluegreen.dev/color=blue").And.Contain("pod-template-hash=");

        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", replicas: 4, edit: s => s.Strategy.AutoPromote = false));
        var paused = await rollout.WaitForPhaseAsync(Phase.Paused);
        var v2 = paused.Status!.PreviewRevision;

        await ScaleAsync(rollout, 2);
        await rollout.WaitForServingAsync("v1", replicas: 2);
        var resized = await rollout.WaitForAsync(s => s.Replicas == 2 && s.Phase == Phase.Paused, "the serving colour resized while the release waits");
        resized.Status!.PreviewRevision.Should().Be(v2, "the release under way is the same release");
        resized.Status.ActiveModelVersion.Should().Be("v1");

        // Up again mid-release, as an autoscaler does under load: the serving colour grows at once.
        await ScaleAsync(rollout, 3);
        await rollout.WaitForServingAsync("v1", replicas: 3);
        (await rollout.WaitForAsync(s => s.Replicas == 3 && s.Phase == Phase.Paused, "the serving colour grown while the release waits"))
            .Status!.PreviewRevision.Should().Be(v2);

        await rollout.ActAsync(RolloutAction.Promote);
        await rollout.WaitForAsync(s => s.ActiveModelVersion == "v2" && s.LastSwitchMilliseconds is not null, "the promoted switch");
        await rollout.WaitForServingAsync("v2", replicas: 3);
        var after = await ScaleSubresourceAsync(rollout);
        after.GetProperty("status").GetProperty("selector").GetString().Should().Contain("bluegreen.dev/color=green", "the autoscaler measures the colour that serves");
        (await rollout.EventsAsync()).Should().NotContain(e => e.Reason == "Superseded");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_move_the_standby_to_the_spot_node_and_restore_its_own_template_before_a_rollback_switches()
    {
        var spotNode = SharedCluster.Current.State.SpotNodeName;
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
        (await BluePodsAsync(rollout)).Should().OnlyContain(p => p.Spec.NodeName != spotNode, "nothing goes to the tainted spot node unasked");

        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", edit: s =>
        {
            s.Strategy.StabilizationSeconds = 300;
            s.Strategy.Standby = new StandbyPlacementSpec
            {
                NodeSelector = new Dictionary<string, string> { [LocalKubelet.CapacityLabel] = LocalKubelet.SpotCapacity },
                Tolerations = [new V1Toleration { Key = LocalKubelet.CapacityLabel, OperatorProperty = "Equal", Value = LocalKubelet.SpotCapacity, Effect = "NoSchedule" }],
                Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("10m") } },
            };
        }));
        await rollout.WaitForPhaseAsync(Phase.Stabilizing, modelVersion: "v2");
        await rollout.WaitForEventsAsync("StandbyPlaced");
        await rollout.UntilAsync(async () =>
        {
            var pods = await BluePodsAsync(rollout);
            return pods.Count == 1 && pods.All(p => IsReady(p) && p.Spec.NodeName == spotNode);
        }, "one ready standby pod on the spot node");

        await rollout.ActAsync(RolloutAction.Rollback);
        var rolledBack = await rollout.WaitForPhaseAsync(Phase.RolledBack, 90, modelVersion: "v1");
        var blue = await rollout.DeploymentAsync("blue");
        blue!.Spec.Template.Spec.NodeSelector.Should().BeNull("the revision's own template is restored before the switch");
        blue.Spec.Template.Spec.Tolerations.Should().BeNull();
        var hash = rolledBack.Status!.ActivePodTemplateHash;
        var selected = (await BluePodsAsync(rollout)).Where(p => p.Metadata.Labels["pod-template-hash"] == hash).ToList();
        selected.Should().NotBeEmpty().And.OnlyContain(p => p.Spec.NodeName != spotNode,
            "the Service selects pods of the tested template, scheduled where that template goes, never the placed ones");
        await rollout.WaitForServingAsync("v1");
        await rollout.AssertInvariantsHeldAsync();
    }

    static Task ScaleAsync(ModelRollout rollout, int replicas) =>
        Kubectl.RunCheckedAsync("scale", $"{WellKnown.Plural}.{WellKnown.Group}", ModelRollout.Name, "--replicas", $"{replicas}", "--namespace", rollout.Ns);

    static async Task<JsonElement> ScaleSubresourceAsync(ModelRollout rollout)
    {
        var scale = await ModelRollout.Client.CustomObjects.GetNamespacedCustomObjectScaleAsync(WellKnown.Group, WellKnown.Version, rollout.Ns, WellKnown.Plural, ModelRollout.Name);
        return JsonSerializer.SerializeToElement(scale);
    }

    static async Task<IReadOnlyList<V1Pod>> BluePodsAsync(ModelRollout rollout) =>
        (await ModelRollout.Client.CoreV1.ListNamespacedPodAsync(rollout.Ns, labelSelector: $"{WellKnown.ColorLabel}=blue")).Items
            .Where(p => p.Metadata.DeletionTimestamp is null).ToList();

    static bool IsReady(V1Pod pod) => pod.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;
}
