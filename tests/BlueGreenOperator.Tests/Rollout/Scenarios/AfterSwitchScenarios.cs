using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Rollout.Given;

namespace BlueGreenOperator.Tests.Rollout.Scenarios;

/// <summary>Rows S1–S7, B1–B5, H1–H2 and Y1–Y3 of docs/design.md: stabilization, rollback, holding a failure, steady state.</summary>
[TestFixture]
public sealed class AfterSwitchScenarios
{
    static void WithAnalysis(BlueGreenDeploymentSpec spec)
    {
        spec.Strategy.StandbyReplicas = 1;
        spec.Analysis = new AnalysisSpec
        {
            IntervalSeconds = 10,
            FailureLimit = 2,
            Checks = [new CheckSpec { Name = "golden", Http = new HttpCheckSpec { Port = 8080 } }],
        };
    }

    static Scenario StabilizingV2() => Scenario.SwitchedToV2(WithAnalysis);

    [Test]
    public void S1_Should_start_a_rollback_on_the_rollback_action()
    {
        var world = StabilizingV2().After(30).Settle(3).Act(RolloutAction.Rollback);
        var v2 = world.Status.ActiveRevision;

        var plan = world.Plan();

        plan.Stage.Should().Be(Stage.Stabilizing);
        plan.Status.AbortedRevision.Should().Be(v2);
        plan.Status.RollbackStartedAt.Should().Be(world.Now, "the shrunk standby must grow before it can serve");
        plan.Events.Should().Contain(e => e.Reason == "RollingBack");
        plan.ConsumedAction.Should().Be(RolloutAction.Rollback);
    }

    [Test]
    public void S2_Should_run_analysis_against_the_serving_colour_when_it_is_due()
    {
        var world = StabilizingV2().After(10);

        world.Plan().Step.Should().Be(new RunAnalysis(Color.Green, world.Status.ActiveRevision!));
    }

    [Test]
    public void S3_Should_roll_back_after_failureLimit_failed_analysis_runs_in_a_row()
    {
        var world = StabilizingV2();
        var v2 = world.Status.ActiveRevision!;
        world.After(10).Analysis = world.Report(Color.Green, v2, _ => false);
        var first = world.Decide();
        first.Status.Analysis!.ConsecutiveFailures.Should().Be(1);
        first.Events.Should().Contain(e => e.Reason == "AnalysisFailed");

        world.After(10).Analysis = world.Report(Color.Green, v2, _ => false);
        var second = world.Plan();

        second.Status.AbortedRevision.Should().Be(v2);
        second.Status.ActiveColor.Should().Be("blue", "the standby is still at full size: the rollback is decided at once");
        second.Events.Should().Contain(e => e.Reason == "RollingBack" && e.Message.Contains("Analysis failed 2 times in a row"));
    }

    [Test]
    public void S3_Should_not_count_the_same_report_twice()
    {
        var world = StabilizingV2();
        world.After(10).Analysis = world.Report(Color.Green, world.Status.ActiveRevision!, _ => false);
        world.Decide();

        var again = world.After(10).Plan();

        again.Step.Should().Be(new RunAnalysis(Color.Green, world.Status.ActiveRevision!), "the report was recorded already; a new run is due");
        again.Status.Analysis!.ConsecutiveFailures.Should().Be(1);
    }

    [Test]
    public void S4_Should_write_a_deleted_standby_again_from_its_kept_template()
    {
        var world = StabilizingV2();
        var v1 = world.Status.StandbyRevision!;
        world.Without(Color.Blue);

        var plan = world.Plan();

        plan.Step.Should().Be(new ApplyDeployment(Color.Blue, v1, "v1", 3));
        plan.Events.Should().Contain(e => e.Reason == "StandbyRestored");
    }

    [Test]
    public void S5_Should_forget_a_standby_that_cannot_be_rebuilt()
    {
        var world = StabilizingV2();
        world.Templates.Remove(world.Status.StandbyRevision!);
        world.Without(Color.Blue);

        var plan = world.Plan();

        plan.Status.StandbyColor.Should().BeNull();
        plan.Status.Phase.Should().Be(Phase.Healthy);
        plan.Events.Should().Contain(e => e.Reason == "StandbyLost");
    }

    [Test]
    public void S6_Should_tear_the_standby_down_when_stabilization_ends()
    {
        var world = Scenario.SwitchedToV2(s => s.Strategy.StabilizationSeconds = 60).After(61);

        var plan = world.Plan();

        plan.Status.StandbyColor.Should().BeNull();
        plan.Status.Phase.Should().Be(Phase.Healthy);
        plan.Step.Should().Be(new ScaleDeployment(Color.Blue, 0), "the standby is released in status before it is scaled away");
        plan.Events.Should().Contain(e => e.Reason == "Stabilized");
    }

    [Test]
    public void S6_Should_keep_the_standby_past_stabilization_while_the_serving_colour_has_no_ready_pod()
    {
        var world = Scenario.SwitchedToV2(s => s.Strategy.StabilizationSeconds = 60).After(61);
        world.WithDeployment(Color.Green, world.Status.ActiveRevision!, "v2", 3, ready: 0);

        var plan = world.Plan();

        plan.Status.StandbyColor.Should().Be("blue", "the standby is the only colour with ready pods");
        plan.Status.Phase.Should().Be(Phase.Stabilizing);
        plan.Status.Message.Should().Contain("has no ready pod");
        plan.Step.Should().NotBe(new ScaleDeployment(Color.Blue, 0));
    }

    [Test]
    public void S7_Should_shrink_the_standby_to_its_warm_size_after_the_scale_down_delay()
    {
        var world = Scenario.SwitchedToV2().After(30);

        var plan = world.Plan();

        plan.Step.Should().Be(new ScaleDeployment(Color.Blue, 1));
        plan.Status.Phase.Should().Be(Phase.Stabilizing);
    }

    [Test]
    public void B2_Should_bring_a_shrunk_standby_back_to_full_size()
    {
        var world = StabilizingV2().After(30).Settle(3);
        world.Deployment(Color.Blue)!.DesiredReplicas.Should().Be(1);
        world.Act(RolloutAction.Rollback);

        var plan = world.Plan();

        plan.Step.Should().Be(new ScaleDeployment(Color.Blue, 3));
        plan.Status.ActiveColor.Should().Be("green", "nothing moves before the standby can serve");
    }

    [Test]
    public void B3_Should_wait_for_an_available_pod_of_the_standby()
    {
        var world = StabilizingV2().After(30).Settle(3).Act(RolloutAction.Rollback);
        world.Decide();
        var v1 = world.Status.StandbyRevision!;
        world.WithDeployment(Color.Blue, v1, "v1", 3, ready: 0);

        var plan = world.Plan();

        plan.Stage.Should().Be(Stage.RollingBack);
        plan.Step.Should().Be(Wait.Instance);
        plan.Status.Message.Should().Contain("waiting for blue to have an available pod");
    }

    [Test]
    public void B4_Should_decide_the_rollback_once_the_standby_can_serve_and_move_the_Service_after()
    {
        var world = StabilizingV2().Act(RolloutAction.Rollback);
        var v1Hash = world.Status.StandbyPodTemplateHash;
        var v2 = world.Status.ActiveRevision;

        var plan = world.Decide();

        plan.Status.ActiveColor.Should().Be("blue");
        plan.Status.ActivePodTemplateHash.Should().Be(v1Hash);
        plan.Status.AbortedRevision.Should().Be(v2);
        plan.Status.RollbackStartedAt.Should().BeNull();
        plan.Status.AbortedReason.Should().Be(DegradedReasons.RolledBack);
        plan.Status.Phase.Should().Be(Phase.Stabilizing, "RolledBack once the Service selects the standby");
        plan.Step.Should().Be(new PointService(ServiceRole.Active, Color.Blue, v1Hash));

        world.WithActive(Color.Blue, v1Hash);
        world.ServiceWrite = TimeSpan.FromMilliseconds(7);
        var done = world.Plan();
        done.Status.Phase.Should().Be(Phase.RolledBack);
        done.Events.Should().Contain(e => e.Reason == "RolledBack" && e.Kind == EventKind.Warning);
    }

    [Test]
    public void B5_Should_keep_serving_and_say_so_when_no_standby_is_left()
    {
        var world = StabilizingV2();
        world.Templates.Remove(world.Status.StandbyRevision!);
        world.Without(Color.Blue);
        world.Resource.Status!.RollbackStartedAt = world.Now;
        world.Resource.Status.AbortedRevision = world.Status.ActiveRevision;

        var plan = world.Plan();

        plan.Status.RollbackStartedAt.Should().BeNull();
        plan.Status.ActiveColor.Should().Be("green");
        plan.Status.Phase.Should().Be(Phase.Degraded);
        plan.Status.Conditions.Should().Contain(c => c.Type == "Degraded" && c.Reason == "RollbackImpossible");
        plan.Events.Should().Contain(e => e.Reason == "RollbackImpossible");
    }

    [Test]
    public void H1_Should_hold_a_rolled_back_revision_and_scale_it_to_zero()
    {
        var world = StabilizingV2().Act(RolloutAction.Rollback);
        world.Settle();

        world.Status.Phase.Should().Be(Phase.RolledBack);
        world.Deployment(Color.Green)!.DesiredReplicas.Should().Be(0);
        world.Deployment(Color.Blue)!.DesiredReplicas.Should().Be(3);
        var held = world.Act(RolloutAction.Promote).Plan();
        held.Stage.Should().Be(Stage.Hold);
        held.Status.Phase.Should().Be(Phase.RolledBack);
        held.Events.Should().Contain(e => e.Reason == "ActionIgnored");
    }

    [Test]
    public void H2_Should_release_a_held_revision_again_on_retry()
    {
        var world = StabilizingV2().Act(RolloutAction.Rollback).Settle();
        var v2 = world.Status.AbortedRevision;
        world.Act(RolloutAction.Retry);

        var plan = world.Plan();

        plan.Status.AbortedRevision.Should().BeNull();
        plan.Status.PreviewRevision.Should().Be(v2);
        plan.Step.Should().BeOfType<ApplyDeployment>().Which.Color.Should().Be(Color.Green);
        plan.Events.Should().Contain(e => e.Reason == "Retry");
    }

    [Test]
    public void Y1_Should_be_healthy_and_scale_the_idle_colour_to_zero()
    {
        var world = Scenario.ServingV1();
        world.WithDeployment(Color.Green, "old", "v0", 2);

        var plan = world.Plan();

        plan.Stage.Should().Be(Stage.Steady);
        plan.Step.Should().Be(new ScaleDeployment(Color.Green, 0));
        plan.Status.Phase.Should().Be(Phase.Healthy);
    }

    [Test]
    public void Y2_Should_report_a_judged_revision_that_keeps_serving_as_degraded()
    {
        var world = Scenario.ServingV1();
        world.Resource.Status!.AbortedRevision = world.Status.ActiveRevision;

        var plan = world.Plan();

        plan.Status.Phase.Should().Be(Phase.Degraded);
        plan.Status.Conditions.Should().Contain(c => c.Type == "Degraded" && c.Status == "True" && c.Reason == "RollbackImpossible");
    }

    [Test]
    public void Y3_Should_accept_a_judged_serving_revision_again_on_retry()
    {
        var world = Scenario.ServingV1();
        world.Resource.Status!.AbortedRevision = world.Status.ActiveRevision;
        world.Decide();
        world.Act(RolloutAction.Retry);

        var plan = world.Plan();

        plan.Status.AbortedRevision.Should().BeNull();
        plan.Status.Phase.Should().Be(Phase.Healthy);
    }
}
