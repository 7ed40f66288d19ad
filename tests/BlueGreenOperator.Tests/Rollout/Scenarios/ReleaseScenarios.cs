using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Rollout.Given;

namespace BlueGreenOperator.Tests.Rollout.Scenarios;

/// <summary>Rows R1–R11 of docs/design.md: a new revision brought up beside the serving one, tested, switched to.</summary>
[TestFixture]
public sealed class ReleaseScenarios
{
    [Test]
    public void R1_Should_reuse_the_standby_for_a_newer_release_and_stop_keeping_it_as_a_rollback_target()
    {
        var world = Scenario.SwitchedToV2();
        var v3 = Resource("v3");
        world.Ship(v3);

        var plan = world.Plan();

        plan.Stage.Should().Be(Stage.Release);
        plan.Status.StandbyColor.Should().BeNull();
        plan.Step.Should().Be(new ApplyDeployment(Color.Blue, Revision(v3), "v3", 3));
        plan.Events.Should().Contain(e => e.Reason == "StandbyReused");
    }

    [Test]
    public void R2_Should_abort_a_release_under_test_and_record_it_before_scaling_it_down()
    {
        var world = Scenario.ServingV1();
        var v2 = Resource("v2");
        world.Ship(v2).Decide();
        world.WithDeployment(Color.Green, v2, 3, ready: 2).Act(RolloutAction.Abort);

        var plan = world.Plan();

        plan.Step.Should().Be(new ScaleDeployment(Color.Green, 0));
        plan.Status.AbortedRevision.Should().Be(Revision(v2));
        plan.Status.PreviewRevision.Should().BeNull();
        plan.Status.ActiveColor.Should().Be("blue", "what serves is untouched");
        plan.Status.Phase.Should().Be(Phase.Degraded);
    }

    [Test]
    public void R3_Should_bring_the_other_colour_up_at_the_preview_size_and_start_the_clock()
    {
        var world = Scenario.ServingV1(s => s.Strategy.PreviewReplicas = 1).After(30);
        var v2 = Resource("v2", s => s.Strategy.PreviewReplicas = 1);
        world.Ship(v2);

        var plan = world.Plan();

        plan.Step.Should().Be(new ApplyDeployment(Color.Green, Revision(v2), "v2", 1));
        plan.Status.Phase.Should().Be(Phase.Progressing);
        plan.Status.ProgressStartedAt.Should().Be(world.Now);
        plan.Status.PreviewRevision.Should().Be(Revision(v2));
    }

    [Test]
    public void R3_Should_replace_a_release_under_test_by_a_newer_one()
    {
        var world = Scenario.ServingV1();
        world.Ship(Resource("v2")).Decide();
        var v3 = Resource("v3");
        world.Ship(v3).After(5);

        var plan = world.Plan();

        plan.Step.Should().Be(new ApplyDeployment(Color.Green, Revision(v3), "v3", 3));
        plan.Status.ProgressStartedAt.Should().Be(world.Now);
        plan.Events.Should().Contain(e => e.Reason == "Superseded");
    }

    [Test]
    public void R4_Should_revert_a_hand_edit_of_a_paused_release_and_test_it_again_before_any_switch()
    {
        var world = Scenario.ServingV1();
        var v2 = Resource("v2", s => s.Strategy.AutoPromote = false);
        world.Ship(v2).Settle();
        world.Status.Phase.Should().Be(Phase.Paused);
        world.Edit(Color.Green, d => d with { TemplateIntact = false }).Act(RolloutAction.Promote);

        var plan = world.Decide();

        plan.Step.Should().Be(new ApplyDeployment(Color.Green, Revision(v2), "v2", 3));
        plan.Status.TestedRevision.Should().BeNull("the pods of an edited template are not the ones that were tested");
        plan.Events.Should().Contain(e => e.Reason == "DeploymentReverted");
        plan.Status.PromotedAt.Should().NotBeNull("the promote was taken while it still applied");

        // The revert made new pods; they are tested before the Service moves.
        world.WithDeployment(Color.Green, v2, 3);
        world.Plan().Step.Should().Be(new RunSmokeTests(Color.Green, Revision(v2)));
    }

    [Test]
    public void R5_Should_wait_for_the_new_colour_without_touching_the_serving_one()
    {
        var world = Scenario.ServingV1();
        var v2 = Resource("v2");
        world.Ship(v2).Decide();
        world.WithDeployment(Color.Green, v2, 3, ready: 1).WithPreview(Color.Green).After(10);

        var plan = world.Plan();

        plan.Step.Should().Be(Wait.Instance);
        plan.Status.Message.Should().Contain("1/3 available");
        plan.RequeueAfter.Should().Be(TimeSpan.FromSeconds(291));
    }

    [Test]
    public void R5_Should_abort_at_the_progress_deadline()
    {
        var world = Scenario.ServingV1();
        var v2 = Resource("v2");
        world.Ship(v2).Decide();
        world.WithDeployment(Color.Green, v2, 3, ready: 0).After(300);

        var plan = world.Plan();

        plan.Step.Should().Be(new ScaleDeployment(Color.Green, 0));
        plan.Status.AbortedRevision.Should().Be(Revision(v2));
        plan.Events.Should().Contain(e => e.Reason == "ProgressDeadlineExceeded");
    }

    [Test]
    public void R6_Should_test_every_ready_pod_and_record_the_tested_template()
    {
        var world = Scenario.ServingV1(s => s.Strategy.AutoPromote = false);
        var v2 = Resource("v2", s => s.Strategy.AutoPromote = false);
        world.Ship(v2).Decide();
        world.WithDeployment(Color.Green, v2, 3).WithPreview(Color.Green);

        var plan = world.Decide();
        plan.Step.Should().Be(new RunSmokeTests(Color.Green, Revision(v2)));
        plan.Status.Phase.Should().Be(Phase.Testing);

        world.Smoke = world.Passed(Color.Green, Revision(v2));
        var tested = world.Plan();
        tested.Status.TestedRevision.Should().Be(Revision(v2));
        tested.Status.TestedPods.Should().Be(3);
        tested.Status.TestedPodTemplateHash.Should().Be(Scenario.Hash(Revision(v2)));
        tested.Events.Should().Contain(e => e.Reason == "SmokeTestsPassed");
    }

    [Test]
    public void R6_Should_test_again_when_a_pod_of_another_template_is_among_the_ready_ones()
    {
        var world = Scenario.ServingV1();
        var v2 = Resource("v2");
        world.Ship(v2).Decide();
        world.WithDeployment(Color.Green, v2, 3).WithPreview(Color.Green);
        world.Smoke = world.Passed(Color.Green, Revision(v2));
        world.AddPod(Color.Green, Revision(v2), "h-someone-else", ready: true);

        world.Plan().Step.Should().Be(new RunSmokeTests(Color.Green, Revision(v2)));
    }

    [Test]
    public void R7_Should_abort_a_release_when_one_pod_predicts_wrong_and_keep_v1_serving()
    {
        var world = Scenario.ServingV1();
        var v2 = Resource("v2");
        world.Ship(v2).Decide();
        world.WithDeployment(Color.Green, v2, 3).WithPreview(Color.Green);
        var wrong = world.Pods.First(p => p.Color == Color.Green).Name;
        world.Smoke = world.Report(Color.Green, Revision(v2), p => p.Name != wrong);

        var plan = world.Plan();

        plan.Step.Should().Be(new ScaleDeployment(Color.Green, 0));
        plan.Status.AbortedRevision.Should().Be(Revision(v2));
        plan.Status.ActiveColor.Should().Be("blue");
        plan.Status.SmokeTests.Should().ContainSingle().Which.Should().Match<BlueGreenOperator.Api.CheckResult>(r => !r.Passed && r.FailedPods == 1 && r.Pods == 3);
    }

    [Test]
    public void R8_Should_pause_a_tested_release_and_stop_the_clock()
    {
        var world = Scenario.ServingV1();
        var v2 = Resource("v2", s => s.Strategy.AutoPromote = false);
        world.Ship(v2).Settle();

        world.Status.Phase.Should().Be(Phase.Paused);
        var later = world.After(3600).Plan();

        later.Step.Should().Be(Wait.Instance);
        later.Status.Phase.Should().Be(Phase.Paused, "waiting for a person is not a lack of progress");
        later.RequeueAfter.Should().BeNull();
    }

    [Test]
    public void R9_Should_promote_a_paused_release_and_restart_the_clock()
    {
        var world = Scenario.ServingV1();
        var v2 = Resource("v2", s =>
        {
            s.Strategy.AutoPromote = false;
            s.Strategy.PreviewReplicas = 1;
        });
        world.Ship(v2).Settle();
        world.After(600).Act(RolloutAction.Promote);

        var plan = world.Plan();

        plan.Status.PromotedAt.Should().Be(world.Now);
        plan.Status.ProgressStartedAt.Should().Be(world.Now);
        plan.Step.Should().Be(new ApplyDeployment(Color.Green, Revision(v2), "v2", 3));
        plan.Events.Should().Contain(e => e.Reason == "Promote");
        plan.ConsumedAction.Should().Be(RolloutAction.Promote);
    }

    [Test]
    public void R10_Should_scale_an_automatically_promoted_release_to_full_size_and_test_the_added_pods()
    {
        var world = Scenario.ServingV1(s => s.Strategy.PreviewReplicas = 1);
        var v2 = Resource("v2", s => s.Strategy.PreviewReplicas = 1);
        world.Ship(v2).Decide();
        world.WithDeployment(Color.Green, v2, 1).WithPreview(Color.Green);
        world.Smoke = world.Passed(Color.Green, Revision(v2));

        var plan = world.Decide();
        plan.Step.Should().Be(new ApplyDeployment(Color.Green, Revision(v2), "v2", 3));
        plan.Status.Phase.Should().Be(Phase.Promoting);

        world.WithDeployment(Color.Green, v2, 3);
        world.Plan().Step.Should().Be(new RunSmokeTests(Color.Green, Revision(v2)), "pods added by the scale-up take no traffic untested");
    }

    [Test]
    public void R11_Should_decide_the_switch_before_the_Service_moves_and_keep_the_old_colour_as_standby()
    {
        var world = Scenario.ServingV1();
        var v1Hash = world.Status.ActivePodTemplateHash;
        var v2 = Resource("v2");
        world.Ship(v2).Decide();
        world.WithDeployment(Color.Green, v2, 3).WithPreview(Color.Green);
        world.Smoke = world.Passed(Color.Green, Revision(v2));

        var plan = world.Decide();

        plan.Step.Should().Be(new PointService(ServiceRole.Active, Color.Green, Scenario.Hash(Revision(v2))));
        plan.Status.ActiveColor.Should().Be("green");
        plan.Status.StandbyColor.Should().Be("blue");
        plan.Status.StandbyPodTemplateHash.Should().Be(v1Hash);
        plan.Status.LastSwitchMilliseconds.Should().BeNull();
        plan.Status.Phase.Should().Be(Phase.Promoting, "the Service does not select green yet");

        world.WithActive(Color.Green, Scenario.Hash(Revision(v2)));
        world.ServiceWrite = TimeSpan.FromMilliseconds(11);
        var switched = world.Plan();
        switched.Status.Phase.Should().Be(Phase.Stabilizing);
        switched.Status.LastSwitchMilliseconds.Should().Be(11);
        switched.Events.Should().Contain(e => e.Reason == "Switched" && e.Message.Contains("11 ms"));
    }
}
