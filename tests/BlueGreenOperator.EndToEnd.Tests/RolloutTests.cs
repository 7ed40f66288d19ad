using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>Full blue-green rollouts of the example model server by the real operator on the real control plane.</summary>
[TestFixture]
[NonParallelizable]
public sealed class RolloutTests
{
    [Test]
    public async Task Should_release_v1_then_switch_to_v2_keep_a_warm_standby_and_tear_it_down()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();

        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        var first = await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
        first.Status!.ActiveColor.Should().Be("blue");
        await rollout.WaitForServingAsync("v1");

        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2"));
        var switched = await rollout.WaitForAsync(s => s.ActiveModelVersion == "v2" && s.LastSwitchMilliseconds is not null, "the switch to v2");
        switched.Status!.ActiveColor.Should().Be("green");
        switched.Status.LastSwitchMilliseconds.Should().NotBeNull().And.BeGreaterThanOrEqualTo(0);
        switched.Status.SmokeTests!.Select(r => r.Name).Should().BeEquivalentTo([PodGates.IdentityCheck, "ready", "golden"], "the model identity question, then two smoke tests, each on three green pods");
        switched.Status.SmokeTests.Should().OnlyContain(r => r.Passed && r.Pods == 3);
        await rollout.WaitForServingAsync("v2");
        TestContext.Out.WriteLine($"switch: {switched.Status.LastSwitchMilliseconds} ms from decision to Service write");

        await rollout.WaitForAsync(s => s.Phase == Phase.Stabilizing && s.StandbyColor == "blue", "stabilizing with blue as standby");
        await BlueGreenOperator.LocalCluster.Eventually.UntilAsync(
            async _ => (await rollout.DeploymentAsync("blue"))?.Spec.Replicas == 1, TimeSpan.FromSeconds(30), "blue to shrink to the warm standby");

        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v2");
        await rollout.UntilAsync(async () => (await rollout.DeploymentAsync("blue"))?.Spec.Replicas == 0, "blue, released by the end of stabilization, to be scaled to 0");
        (await rollout.DeploymentAsync("green"))!.Spec.Replicas.Should().Be(3);
        await rollout.WaitForEventsAsync("Switched", "SmokeTestsPassed", "Stabilized");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_pause_without_auto_promote_until_the_promote_action()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");

        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", edit: s => s.Strategy.AutoPromote = false));
        var paused = await rollout.WaitForPhaseAsync(Phase.Paused);
        paused.Status!.ActiveModelVersion.Should().Be("v1");
        paused.Status.PreviewModelVersion.Should().Be("v2");
        await Task.Delay(TimeSpan.FromSeconds(3));
        (await rollout.ServedModelVersionsAsync()).Should().OnlyContain(v => v == "v1", "a paused release takes no traffic");

        await rollout.ActAsync(RolloutAction.Promote);
        await rollout.WaitForAsync(s => s.ActiveModelVersion == "v2", "the promoted switch");
        // The operator removes the annotation right after the status write that performed it.
        await BlueGreenOperator.LocalCluster.Eventually.UntilAsync(
            async _ => (await rollout.GetOrNullAsync())!.Metadata.Annotations?.ContainsKey(WellKnown.ActionAnnotation) != true,
            TimeSpan.FromSeconds(10), "the promote action to be consumed");
        (await rollout.EventsAsync()).Count(e => e.Reason == "Promote").Should().Be(1, "the action is performed once");
        await rollout.WaitForServingAsync("v2");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_abort_and_keep_v1_serving_when_one_of_three_green_pods_predicts_wrong()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch("v3");
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");

        var claim = Path.Combine(Path.GetTempPath(), $"bluegreen-e2e-claim-{Guid.NewGuid():N}");
        await rollout.ApplyAsync(ModelRollout.Model("v3", "v2", knobs: new Dictionary<string, string> { ["WRONG_PREDICTIONS_CLAIM_FILE"] = claim }));
        var aborted = await rollout.WaitForAsync(s => s.Phase == Phase.Degraded && s.AbortedRevision is not null, "the abort");

        var failed = aborted.Status!.SmokeTests!.Where(r => !r.Passed).ToList();
        failed.Should().ContainSingle(r => r.Name == "golden").Which.FailedPods.Should().Be(1, "exactly one green pod predicts wrong");
        failed.Single().FailingPods.Should().ContainSingle();
        aborted.Status.Message.Should().Contain("smoke tests");
        aborted.Status.Conditions.Should().Contain(c => c.Type == "Degraded" && c.Status == "True");
        aborted.Status.ActiveModelVersion.Should().Be("v1");
        await BlueGreenOperator.LocalCluster.Eventually.UntilAsync(
            async _ => (await rollout.DeploymentAsync("green"))?.Spec.Replicas == 0, TimeSpan.FromSeconds(20), "green to be scaled to 0");
        (await rollout.ServedModelVersionsAsync()).Should().HaveCount(3).And.OnlyContain(v => v == "v1");
        await rollout.WaitForEventsAsync("SmokeTestsFailed");
        (await rollout.EventsAsync()).Should().Contain(e => e.Reason == "SmokeTestsFailed" && e.Type == "Warning");
        File.Delete(claim);
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_abort_a_release_that_never_becomes_ready_at_the_progress_deadline()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch("v2");
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");

        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", knobs: new Dictionary<string, string> { ["NEVER_READY"] = "true" },
            edit: s => s.Strategy.ProgressDeadlineSeconds = 12));
        var aborted = await rollout.WaitForAsync(s => s.Phase == Phase.Degraded && s.AbortedRevision is not null, "the deadline abort", 60);

        aborted.Status!.Message.Should().Contain("not available within 12s");
        await rollout.WaitForEventsAsync("ProgressDeadlineExceeded");
        (await rollout.ServedModelVersionsAsync()).Should().OnlyContain(v => v == "v1");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_roll_back_to_the_warm_standby_when_post_switch_analysis_fails()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");

        await rollout.ApplyAsync(ModelRollout.SlowRelease());
        await rollout.WaitForAsync(s => s.ActiveModelVersion == "v2", "the switch to the slow v2");
        var rolledBack = await rollout.WaitForPhaseAsync(Phase.RolledBack, 60);

        rolledBack.Status!.ActiveModelVersion.Should().Be("v1");
        rolledBack.Status.ActiveColor.Should().Be("blue");
        rolledBack.Status.AbortedRevision.Should().NotBeNull();
        rolledBack.Status.Message.Should().Contain("Rolled back");
        (await rollout.ServedModelVersionsAsync()).Should().OnlyContain(v => v == "v1");
        await rollout.WaitForEventsAsync("AnalysisFailed", "RollingBack", "RolledBack");
        TestContext.Out.WriteLine($"rollback: {rolledBack.Status.LastSwitchMilliseconds} ms from the failing analysis decision to the Service write");
        await BlueGreenOperator.LocalCluster.Eventually.UntilAsync(
            async _ => (await rollout.DeploymentAsync("blue"))?.Spec.Replicas == 3 && (await rollout.DeploymentAsync("green"))?.Spec.Replicas == 0,
            TimeSpan.FromSeconds(60), "blue back to full size and green at 0");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_run_analysis_every_interval_while_stabilizing_and_keep_a_passing_release()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");

        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", edit: s =>
        {
            s.Strategy.StabilizationSeconds = 20;
            s.Analysis = new AnalysisSpec { IntervalSeconds = 2, FailureLimit = 1, Checks = [new CheckSpec { Name = "golden", Inference = ModelRollout.Golden() }] };
        }));
        var analysed = await rollout.WaitForAsync(s => s.Phase == Phase.Stabilizing && s.Analysis?.Runs >= 4, "four analysis runs while stabilizing", 90);

        analysed.Status!.Analysis!.ConsecutiveFailures.Should().Be(0);
        analysed.Status.Analysis.Results!.Select(r => r.Name).Should().BeEquivalentTo([PodGates.IdentityCheck, "golden"], "one entry per check and the identity question");
        analysed.Status.Analysis.Results.Should().OnlyContain(r => r.Passed && r.Pods == 3);
        await rollout.WaitForPhaseAsync(Phase.Healthy, 60, modelVersion: "v2");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_roll_back_on_the_rollback_action_and_release_again_on_retry()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", edit: s => s.Strategy.StabilizationSeconds = 300));
        await rollout.WaitForPhaseAsync(Phase.Stabilizing, modelVersion: "v2");

        await rollout.ActAsync(RolloutAction.Rollback);
        var rolledBack = await rollout.WaitForPhaseAsync(Phase.RolledBack, 60, modelVersion: "v1");
        (await rollout.ServedModelVersionsAsync()).Should().OnlyContain(v => v == "v1");
        TestContext.Out.WriteLine($"manual rollback: {rolledBack.Status!.LastSwitchMilliseconds} ms from decision to Service write");

        await rollout.ActAsync(RolloutAction.Retry);
        await rollout.WaitForAsync(s => s.ActiveModelVersion == "v2" && s.AbortedRevision is null, "the retried release");
        await rollout.WaitForServingAsync("v2");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_replace_a_release_under_test_when_a_newer_one_arrives()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch("v2");
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");

        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", knobs: new Dictionary<string, string> { ["STARTUP_DELAY_SECONDS"] = "5" }));
        await rollout.WaitForAsync(s => s.Phase == Phase.Progressing && s.PreviewModelVersion == "v2", "v2 in progress");
        await rollout.ApplyAsync(ModelRollout.Model("v3", "v2"));

        await rollout.WaitForAsync(s => s.ActiveModelVersion == "v3", "v3 serving");
        await rollout.WaitForEventsAsync("Superseded");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_leave_a_service_it_does_not_own_alone_and_say_so()
    {
        await using var rollout = await ModelRollout.StartAsync();
        var foreign = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = ModelRollout.ServiceName, NamespaceProperty = rollout.Ns },
            Spec = new V1ServiceSpec { Selector = new Dictionary<string, string> { ["app"] = "someone-else" }, Ports = [new V1ServicePort { Port = 80 }] },
        };
        await ModelRollout.Client.CoreV1.CreateNamespacedServiceAsync(foreign, rollout.Ns);

        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        var conflict = await rollout.WaitForAsync(s => s.Conditions?.Any(c => c.Reason == "NameConflict" && c.Status == "True") == true, "NameConflict");

        conflict.Status!.Phase.Should().Be(Phase.Degraded);
        conflict.Status.Message.Should().Contain("not owned");
        var service = await ModelRollout.Client.CoreV1.ReadNamespacedServiceAsync(ModelRollout.ServiceName, rollout.Ns);
        service.Spec.Selector.Should().Equal(new Dictionary<string, string> { ["app"] = "someone-else" });
        (await rollout.DeploymentAsync("blue")).Should().BeNull("nothing is built in front of someone else's Service");
        await rollout.WaitForEventsAsync("NameConflict");
    }

    [Test]
    public async Task Should_report_an_invalid_spec_without_touching_workloads_and_collect_everything_on_delete()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
        var before = (await rollout.DeploymentAsync("blue"))!.Metadata.ResourceVersion;

        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", edit: s => s.Strategy.StandbyReplicas = 5));
        var invalid = await rollout.WaitForAsync(s => s.Conditions?.Any(c => c.Reason == "InvalidSpec" && c.Status == "True") == true, "InvalidSpec");
        invalid.Status!.Message.Should().Contain("standbyReplicas");
        await Task.Delay(TimeSpan.FromSeconds(2));
        (await rollout.DeploymentAsync("blue"))!.Metadata.ResourceVersion.Should().Be(before, "an invalid spec writes no workload");
        (await rollout.DeploymentAsync("green")).Should().BeNull();
        await rollout.WaitForEventsAsync("InvalidSpec");
        await rollout.AssertInvariantsHeldAsync();

        await ModelRollout.Client.CustomObjects.DeleteNamespacedCustomObjectAsync(WellKnown.Group, WellKnown.Version, rollout.Ns, WellKnown.Plural, ModelRollout.Name);
        await BlueGreenOperator.LocalCluster.Eventually.UntilAsync(
            async _ => (await ModelRollout.Client.AppsV1.ListNamespacedDeploymentAsync(rollout.Ns)).Items.Count == 0
                && (await ModelRollout.Client.CoreV1.ListNamespacedServiceAsync(rollout.Ns)).Items.Count == 0
                && (await ModelRollout.Client.CoreV1.ListNamespacedPodAsync(rollout.Ns)).Items.Count == 0,
            TimeSpan.FromSeconds(60), "the garbage collector to remove Deployments, Services and pods");
    }
}
