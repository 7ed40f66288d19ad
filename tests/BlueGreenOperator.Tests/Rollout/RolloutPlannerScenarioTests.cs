using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Rollout.Given;

namespace BlueGreenOperator.Tests.Rollout;

/// <summary>One test per transition of the state machine: a seeded world, one decision, the exact step and status.</summary>
[TestFixture]
public sealed class RolloutPlannerScenarioTests
{
    const string Svc = "fraud-model";
    const string Preview = "fraud-model-preview";

    static RolloutPlan Plan(BlueGreenDeployment resource, ObservedDeployment? blue = null, ObservedDeployment? green = null,
        Color? active = null, Color? preview = null, DateTime? now = null, CheckReport? smoke = null, CheckReport? analysis = null) =>
        RolloutPlanner.Plan(new ObservedState(
            resource, blue, green,
            active is null ? null : Service(Svc, active),
            preview is null ? null : Service(Preview, preview),
            now ?? T0, smoke, analysis));

    /// <summary>v1 serving from blue, converged, as the planner itself left it.</summary>
    static (BlueGreenDeployment V1, ObservedDeployment Blue) ServingV1()
    {
        var v1 = Resource("v1");
        var blue = Deployment(Color.Blue, v1, 3);
        var plan = Plan(v1, blue, null, Color.Blue, Color.Blue, T0.AddSeconds(-60));
        plan.Step.Should().Be(Wait.Instance);
        v1.Status = plan.Status;
        return (v1, blue);
    }

    /// <summary>v2 on green passed its smoke tests and the Service was switched at T0.</summary>
    static (BlueGreenDeployment V2, ObservedDeployment Blue, ObservedDeployment Green) SwitchedToV2(Action<BlueGreenDeploymentSpec>? edit = null)
    {
        var (v1, blue) = ServingV1();
        var v2 = Resource("v2", edit).WithStatus(v1.Status);
        var green = Deployment(Color.Green, v2, 3);
        var plan = Plan(v2, blue, green, Color.Blue, Color.Green, T0, Passed(Color.Green, Revision(v2), 3));
        plan.Step.Should().Be(new PointService(ServiceRole.Active, Color.Green));
        v2.Status = plan.Status;
        return (v2, blue, green);
    }

    [Test]
    public void Should_create_blue_at_full_size_for_the_first_release()
    {
        var v1 = Resource("v1");

        var plan = Plan(v1);

        plan.Step.Should().Be(new ApplyDeployment(Color.Blue, Revision(v1), "v1", 3));
        plan.Status.Phase.Should().Be(Phase.Initializing);
        plan.Status.PreviewColor.Should().Be("blue");
        plan.Status.ProgressStartedAt.Should().Be(T0);
        plan.Status.ObservedGeneration.Should().Be(1);
    }

    [Test]
    public void Should_wait_for_the_first_colour_until_the_progress_deadline()
    {
        var v1 = Resource("v1");
        v1.Status = Plan(v1).Status;

        var plan = Plan(v1, Deployment(Color.Blue, v1, 3, available: 1), now: T0.AddSeconds(100));

        plan.Step.Should().Be(Wait.Instance);
        plan.Status.Message.Should().Contain("1/3 available");
        plan.RequeueAfter.Should().Be(TimeSpan.FromSeconds(201));
    }

    [Test]
    public void Should_smoke_test_the_first_colour_then_create_the_active_service()
    {
        var v1 = Resource("v1");
        v1.Status = Plan(v1).Status;
        var blue = Deployment(Color.Blue, v1, 3);

        Plan(v1, blue).Step.Should().Be(new RunSmokeTests(Color.Blue, Revision(v1)));
        var plan = Plan(v1, blue, smoke: Passed(Color.Blue, Revision(v1), 3));

        plan.Step.Should().Be(new PointService(ServiceRole.Active, Color.Blue));
        plan.Status.Phase.Should().Be(Phase.Healthy);
        plan.Status.ActiveColor.Should().Be("blue");
        plan.Status.ActiveRevision.Should().Be(Revision(v1));
        plan.Status.ActiveModelVersion.Should().Be("v1");
        plan.Status.PreviewColor.Should().BeNull();
    }

    [Test]
    public void Should_abort_a_first_release_that_fails_smoke_tests_and_never_create_the_service()
    {
        var v1 = Resource("v1");
        v1.Status = Plan(v1).Status;

        var plan = Plan(v1, Deployment(Color.Blue, v1, 3), smoke: FailedOnOnePod(Color.Blue, Revision(v1), 3));

        plan.Step.Should().Be(new ScaleDeployment(Color.Blue, 0));
        plan.Status.Phase.Should().Be(Phase.Degraded);
        plan.Status.AbortedRevision.Should().Be(Revision(v1));
        plan.Events.Should().Contain(e => e.Reason == "SmokeTestsFailed" && e.Kind == EventKind.Warning && e.Message.Contains("pod-1"));
    }

    [Test]
    public void Should_be_converged_with_no_step_and_an_identical_status()
    {
        var (v1, blue) = ServingV1();

        var plan = Plan(v1, blue, null, Color.Blue, Color.Blue, T0);

        plan.Step.Should().Be(Wait.Instance);
        RolloutPlanner.StatusEquals(v1.Status, plan.Status).Should().BeTrue();
        plan.Events.Should().BeEmpty();
        plan.RequeueAfter.Should().BeNull();
        plan.Status.Phase.Should().Be(Phase.Healthy);
    }

    [Test]
    public void Should_prepare_the_other_colour_at_preview_size_for_a_new_revision()
    {
        var (v1, blue) = ServingV1();
        var v2 = Resource("v2", s => s.Strategy.PreviewReplicas = 1).WithStatus(v1.Status);

        var plan = Plan(v2, blue, null, Color.Blue, Color.Blue);

        plan.Step.Should().Be(new ApplyDeployment(Color.Green, Revision(v2), "v2", 1));
        plan.Status.Phase.Should().Be(Phase.Progressing);
        plan.Status.PreviewColor.Should().Be("green");
        plan.Status.PreviewRevision.Should().Be(Revision(v2));
        plan.Status.ActiveColor.Should().Be("blue");
    }

    [Test]
    public void Should_point_the_preview_service_at_the_colour_under_test()
    {
        var (v1, blue) = ServingV1();
        var v2 = Resource("v2").WithStatus(v1.Status);

        var plan = Plan(v2, blue, Deployment(Color.Green, v2, 3, available: 0), Color.Blue, Color.Blue);

        plan.Step.Should().Be(new PointService(ServiceRole.Preview, Color.Green));
    }

    [Test]
    public void Should_smoke_test_the_new_colour_once_it_is_available()
    {
        var (v1, blue) = ServingV1();
        var v2 = Resource("v2").WithStatus(v1.Status);
        v2.Status = Plan(v2, blue, null, Color.Blue, Color.Blue).Status;

        var plan = Plan(v2, blue, Deployment(Color.Green, v2, 3), Color.Blue, Color.Green);

        plan.Step.Should().Be(new RunSmokeTests(Color.Green, Revision(v2)));
        plan.Status.Phase.Should().Be(Phase.Testing);
    }

    [Test]
    public void Should_switch_in_one_write_when_smoke_tests_pass_and_keep_blue_as_standby()
    {
        var (v2, _, _) = SwitchedToV2();

        v2.Status!.Phase.Should().Be(Phase.Stabilizing);
        v2.Status.ActiveColor.Should().Be("green");
        v2.Status.ActiveRevision.Should().Be(Revision(v2));
        v2.Status.ActiveModelVersion.Should().Be("v2");
        v2.Status.StandbyColor.Should().Be("blue");
        v2.Status.StandbyModelVersion.Should().Be("v1");
        v2.Status.SwitchedAt.Should().Be(T0);
        v2.Status.SmokeTests.Should().HaveCount(3).And.OnlyContain(r => r.Passed);
        v2.Status.PreviewColor.Should().BeNull();
    }

    [Test]
    public void Should_scale_up_after_testing_at_preview_size_and_test_every_new_pod_before_switching()
    {
        var (v1, blue) = ServingV1();
        var v2 = Resource("v2", s => s.Strategy.PreviewReplicas = 1).WithStatus(v1.Status);
        v2.Status = Plan(v2, blue, null, Color.Blue, Color.Blue).Status;
        var revision = Revision(v2);

        var tested = Plan(v2, blue, Deployment(Color.Green, v2, 1), Color.Blue, Color.Green, smoke: Passed(Color.Green, revision, 1));
        tested.Step.Should().Be(new ApplyDeployment(Color.Green, revision, "v2", 3));
        tested.Status.Phase.Should().Be(Phase.Promoting);
        v2.Status = tested.Status;

        Plan(v2, blue, Deployment(Color.Green, v2, 3, available: 2), Color.Blue, Color.Green, T0.AddSeconds(5))
            .Step.Should().Be(Wait.Instance);
        Plan(v2, blue, Deployment(Color.Green, v2, 3), Color.Blue, Color.Green, T0.AddSeconds(9))
            .Step.Should().Be(new RunSmokeTests(Color.Green, revision));
        Plan(v2, blue, Deployment(Color.Green, v2, 3), Color.Blue, Color.Green, T0.AddSeconds(9), Passed(Color.Green, revision, 3))
            .Step.Should().Be(new PointService(ServiceRole.Active, Color.Green));
    }

    [Test]
    public void Should_pause_without_auto_promote_and_switch_on_the_promote_action()
    {
        var (v1, blue) = ServingV1();
        var v2 = Resource("v2", s => s.Strategy.AutoPromote = false).WithStatus(v1.Status);
        v2.Status = Plan(v2, blue, null, Color.Blue, Color.Blue).Status;
        var green = Deployment(Color.Green, v2, 3);

        var paused = Plan(v2, blue, green, Color.Blue, Color.Green, smoke: Passed(Color.Green, Revision(v2), 3));
        paused.Step.Should().Be(Wait.Instance);
        paused.Status.Phase.Should().Be(Phase.Paused);
        v2.Status = paused.Status;

        Plan(v2, blue, green, Color.Blue, Color.Green, T0.AddHours(2)).Step.Should().Be(Wait.Instance, "a pause has no deadline");

        var promoted = Plan(v2.WithAction(RolloutAction.Promote), blue, green, Color.Blue, Color.Green, T0.AddHours(3));
        promoted.Step.Should().Be(new PointService(ServiceRole.Active, Color.Green));
        promoted.ClearAction.Should().BeTrue();
        promoted.Events.Should().Contain(e => e.Reason == "Promote");
    }

    [Test]
    public void Should_abort_and_keep_blue_serving_when_one_green_pod_fails_smoke_tests()
    {
        var (v1, blue) = ServingV1();
        var v2 = Resource("v2").WithStatus(v1.Status);
        v2.Status = Plan(v2, blue, null, Color.Blue, Color.Blue).Status;

        var plan = Plan(v2, blue, Deployment(Color.Green, v2, 3), Color.Blue, Color.Green, smoke: FailedOnOnePod(Color.Green, Revision(v2), 3));

        plan.Step.Should().Be(new ScaleDeployment(Color.Green, 0));
        plan.Status.Phase.Should().Be(Phase.Degraded);
        plan.Status.AbortedRevision.Should().Be(Revision(v2));
        plan.Status.ActiveColor.Should().Be("blue");
        plan.Status.SmokeTests.Should().Contain(r => !r.Passed && r.Pod == "pod-1");
        plan.Status.Conditions.Should().Contain(c => c.Type == "Degraded" && c.Status == "True" && c.Reason == "ReleaseAborted");
    }

    [Test]
    public void Should_test_again_rather_than_abort_when_a_pod_was_not_ready_at_test_time()
    {
        var (v1, blue) = ServingV1();
        var v2 = Resource("v2").WithStatus(v1.Status);
        v2.Status = Plan(v2, blue, null, Color.Blue, Color.Blue).Status;
        var green = Deployment(Color.Green, v2, 3);

        var retry = Plan(v2, blue, green, Color.Blue, Color.Green, T0.AddSeconds(10), Passed(Color.Green, Revision(v2), 2));
        retry.Step.Should().Be(Wait.Instance);
        retry.Status.AbortedRevision.Should().BeNull();
        retry.Status.Message.Should().Contain("only 2 of 3 pods");
        retry.RequeueAfter.Should().Be(TimeSpan.FromSeconds(2));

        var none = Plan(v2, blue, green, Color.Blue, Color.Green, T0.AddSeconds(10), Passed(Color.Green, Revision(v2), 0));
        none.Step.Should().Be(Wait.Instance, "no ready pod at all is no verdict either");

        var late = Plan(v2, blue, green, Color.Blue, Color.Green, T0.AddSeconds(300), Passed(Color.Green, Revision(v2), 2));
        late.Step.Should().Be(new ScaleDeployment(Color.Green, 0), "past the progress deadline it is an abort");
        late.Events.Should().Contain(e => e.Reason == "ProgressDeadlineExceeded");
    }

    [Test]
    public void Should_abort_when_the_new_colour_misses_the_progress_deadline()
    {
        var (v1, blue) = ServingV1();
        var v2 = Resource("v2").WithStatus(v1.Status);
        v2.Status = Plan(v2, blue, null, Color.Blue, Color.Blue).Status;

        var plan = Plan(v2, blue, Deployment(Color.Green, v2, 3, available: 0), Color.Blue, Color.Green, T0.AddSeconds(300));

        plan.Step.Should().Be(new ScaleDeployment(Color.Green, 0));
        plan.Status.AbortedRevision.Should().Be(Revision(v2));
        plan.Events.Should().Contain(e => e.Reason == "ProgressDeadlineExceeded");
    }

    [Test]
    public void Should_not_retry_an_aborted_revision_until_the_spec_changes_or_a_retry_action()
    {
        var (v1, blue) = ServingV1();
        var v2 = Resource("v2").WithStatus(v1.Status);
        v2.Status = Plan(v2, blue, null, Color.Blue, Color.Blue).Status;
        v2.Status = Plan(v2, blue, Deployment(Color.Green, v2, 3), Color.Blue, Color.Green, smoke: FailedOnOnePod(Color.Green, Revision(v2), 3)).Status;
        var greenAtZero = Deployment(Color.Green, v2, 0);

        var held = Plan(v2, blue, greenAtZero, Color.Blue, Color.Green, T0.AddMinutes(5));
        held.Step.Should().Be(new PointService(ServiceRole.Preview, Color.Blue));
        Plan(v2, blue, greenAtZero, Color.Blue, Color.Blue, T0.AddMinutes(5)).Step.Should().Be(Wait.Instance);

        var v3 = Resource("v3").WithStatus(v2.Status);
        Plan(v3, blue, greenAtZero, Color.Blue, Color.Blue).Step.Should().Be(new ApplyDeployment(Color.Green, Revision(v3), "v3", 3));

        var retried = Plan(v2.WithAction(RolloutAction.Retry), blue, greenAtZero, Color.Blue, Color.Blue);
        retried.Step.Should().Be(new ApplyDeployment(Color.Green, Revision(v2), "v2", 3));
        retried.Status.AbortedRevision.Should().BeNull();
        retried.ClearAction.Should().BeTrue();
    }

    [Test]
    public void Should_abort_on_the_abort_action_during_testing_without_touching_blue()
    {
        var (v1, blue) = ServingV1();
        var v2 = Resource("v2").WithStatus(v1.Status);
        v2.Status = Plan(v2, blue, null, Color.Blue, Color.Blue).Status;

        var plan = Plan(v2.WithAction(RolloutAction.Abort), blue, Deployment(Color.Green, v2, 3, available: 1), Color.Blue, Color.Green);

        plan.Step.Should().Be(new ScaleDeployment(Color.Green, 0));
        plan.Status.AbortedRevision.Should().Be(Revision(v2));
        plan.ClearAction.Should().BeTrue();
    }

    [Test]
    public void Should_ignore_an_action_that_does_not_apply_and_say_so()
    {
        var (v1, blue) = ServingV1();

        var plan = Plan(v1.WithAction(RolloutAction.Promote), blue, null, Color.Blue, Color.Blue);

        plan.Step.Should().Be(Wait.Instance);
        plan.ClearAction.Should().BeTrue();
        plan.Events.Should().ContainSingle(e => e.Reason == "ActionIgnored" && e.Kind == EventKind.Warning);
    }

    [Test]
    public void Should_keep_the_old_colour_full_size_during_the_scale_down_delay_then_shrink_it_to_the_standby()
    {
        var (v2, blue, green) = SwitchedToV2();

        var during = Plan(v2, blue, green, Color.Green, Color.Green, T0.AddSeconds(10));
        during.Step.Should().Be(Wait.Instance);
        during.RequeueAfter.Should().Be(TimeSpan.FromSeconds(21));

        var after = Plan(v2, blue, green, Color.Green, Color.Green, T0.AddSeconds(30));
        after.Step.Should().Be(new ScaleDeployment(Color.Blue, 1));
        after.Status.Phase.Should().Be(Phase.Stabilizing);
    }

    [Test]
    public void Should_tear_down_the_standby_after_stabilization_and_become_healthy()
    {
        var (v2, _, green) = SwitchedToV2();
        var standby = Deployment(Color.Blue, RevisionOf("v1"), "v1", 1, 1);

        var end = Plan(v2, standby, green, Color.Green, Color.Green, T0.AddSeconds(600));
        end.Step.Should().Be(new ScaleDeployment(Color.Blue, 0));
        v2.Status = end.Status;

        var healthy = Plan(v2, Deployment(Color.Blue, RevisionOf("v1"), "v1", 0, 0), green, Color.Green, Color.Green, T0.AddSeconds(601));
        healthy.Step.Should().Be(Wait.Instance);
        healthy.Status.Phase.Should().Be(Phase.Healthy);
        healthy.Status.StandbyColor.Should().BeNull();
        healthy.Events.Should().Contain(e => e.Reason == "Stabilized");
    }

    [Test]
    public void Should_roll_back_to_the_warm_standby_in_one_decision_after_failure_limit_consecutive_analysis_failures()
    {
        var (v2, blue, green) = SwitchedToV2(s => s.Analysis = new AnalysisSpec
        {
            IntervalSeconds = 10,
            FailureLimit = 2,
            Checks = [new CheckSpec { Name = "golden", Http = new HttpCheckSpec { Port = 8080, Path = "/v2/health/ready" } }],
        });
        var revision = Revision(v2);
        var standby = Deployment(Color.Blue, RevisionOf("v1"), "v1", 1, 1);

        Plan(v2, standby, green, Color.Green, Color.Green, T0.AddSeconds(10)).Step.Should().Be(new RunAnalysis(Color.Green, revision));
        var first = Plan(v2, standby, green, Color.Green, Color.Green, T0.AddSeconds(10), analysis: FailedOnOnePod(Color.Green, revision, 3));
        first.Step.Should().Be(Wait.Instance);
        first.Status.Analysis!.ConsecutiveFailures.Should().Be(1);
        v2.Status = first.Status;

        Plan(v2, standby, green, Color.Green, Color.Green, T0.AddSeconds(15)).Step.Should().Be(Wait.Instance, "the next run is due at +20s");
        var second = Plan(v2, standby, green, Color.Green, Color.Green, T0.AddSeconds(20), analysis: FailedOnOnePod(Color.Green, revision, 3));

        second.Step.Should().Be(new PointService(ServiceRole.Active, Color.Blue));
        second.Status.Phase.Should().Be(Phase.RolledBack);
        second.Status.ActiveColor.Should().Be("blue");
        second.Status.ActiveModelVersion.Should().Be("v1");
        second.Status.AbortedRevision.Should().Be(revision);
        second.Events.Should().Contain(e => e.Reason == "RolledBack");
        _ = blue;
    }

    [Test]
    public void Should_reset_the_failure_count_when_an_analysis_run_passes()
    {
        var (v2, _, green) = SwitchedToV2(s => s.Analysis = new AnalysisSpec
        {
            IntervalSeconds = 10,
            Checks = [new CheckSpec { Name = "golden", Http = new HttpCheckSpec { Port = 8080 } }],
        });
        var revision = Revision(v2);
        var standby = Deployment(Color.Blue, RevisionOf("v1"), "v1", 1, 1);
        v2.Status = Plan(v2, standby, green, Color.Green, Color.Green, T0.AddSeconds(10), analysis: FailedOnOnePod(Color.Green, revision, 3)).Status;

        var passed = Plan(v2, standby, green, Color.Green, Color.Green, T0.AddSeconds(20), analysis: Passed(Color.Green, revision, 3));

        passed.Status.Analysis!.ConsecutiveFailures.Should().Be(0);
        passed.Status.Analysis.Runs.Should().Be(2);
        passed.Step.Should().Be(Wait.Instance);
    }

    [Test]
    public void Should_scale_the_standby_first_when_it_has_no_available_pod_then_switch_back()
    {
        var (v2, _, green) = SwitchedToV2(s => s.Strategy.StandbyReplicas = 0);
        var emptyStandby = Deployment(Color.Blue, RevisionOf("v1"), "v1", 0, 0);

        var scale = Plan(v2.WithAction(RolloutAction.Rollback), emptyStandby, green, Color.Green, Color.Green, T0.AddSeconds(60));
        scale.Step.Should().Be(new ScaleDeployment(Color.Blue, 3));
        scale.Status.RollbackStartedAt.Should().NotBeNull();
        v2.Status = scale.Status;
        v2.Metadata.Annotations = null;

        Plan(v2, Deployment(Color.Blue, RevisionOf("v1"), "v1", 3, 0), green, Color.Green, Color.Green, T0.AddSeconds(61))
            .Step.Should().Be(Wait.Instance);
        var back = Plan(v2, Deployment(Color.Blue, RevisionOf("v1"), "v1", 3, 1), green, Color.Green, Color.Green, T0.AddSeconds(65));
        back.Step.Should().Be(new PointService(ServiceRole.Active, Color.Blue));
        back.Status.Phase.Should().Be(Phase.RolledBack);
    }

    [Test]
    public void Should_not_switch_back_to_standby_pods_that_are_being_scaled_away()
    {
        var (v2, _, green) = SwitchedToV2(s => s.Strategy.StandbyReplicas = 0);
        var terminating = Deployment(Color.Blue, RevisionOf("v1"), "v1", 0, 1);

        var plan = Plan(v2.WithAction(RolloutAction.Rollback), terminating, green, Color.Green, Color.Green, T0.AddSeconds(60));

        plan.Step.Should().Be(new ScaleDeployment(Color.Blue, 3), "a pod above the desired size is about to go");
    }

    [Test]
    public void Should_restore_the_old_colour_to_full_size_and_scale_the_failed_one_to_zero_after_a_rollback()
    {
        var (v2, _, green) = SwitchedToV2();
        var standby = Deployment(Color.Blue, RevisionOf("v1"), "v1", 1, 1);
        v2.Status = Plan(v2.WithAction(RolloutAction.Rollback), standby, green, Color.Green, Color.Green, T0.AddSeconds(60)).Status;
        v2.Metadata.Annotations = null;

        Plan(v2, standby, green, Color.Blue, Color.Green, T0.AddSeconds(61)).Step.Should().Be(new ScaleDeployment(Color.Blue, 3));
        var restored = Deployment(Color.Blue, RevisionOf("v1"), "v1", 3, 3);
        Plan(v2, restored, green, Color.Blue, Color.Green, T0.AddSeconds(70)).Step.Should().Be(new ScaleDeployment(Color.Green, 0));
        var done = Plan(v2, restored, Deployment(Color.Green, v2, 0), Color.Blue, Color.Green, T0.AddSeconds(71));
        done.Step.Should().Be(new PointService(ServiceRole.Preview, Color.Blue));
        done.Status.Phase.Should().Be(Phase.RolledBack);
    }

    [Test]
    public void Should_replace_the_revision_under_test_when_a_newer_one_arrives()
    {
        var (v1, blue) = ServingV1();
        var v2 = Resource("v2").WithStatus(v1.Status);
        v2.Status = Plan(v2, blue, null, Color.Blue, Color.Blue).Status;
        v2.Status = Plan(v2, blue, Deployment(Color.Green, v2, 3), Color.Blue, Color.Green, T0.AddSeconds(20)).Status;
        v2.Status!.Phase.Should().Be(Phase.Testing);
        var v3 = Resource("v3").WithStatus(v2.Status);

        var plan = Plan(v3, blue, Deployment(Color.Green, v2, 3), Color.Blue, Color.Green, T0.AddSeconds(25));

        plan.Step.Should().Be(new ApplyDeployment(Color.Green, Revision(v3), "v3", 3));
        plan.Status.Phase.Should().Be(Phase.Progressing);
        plan.Status.PreviewRevision.Should().Be(Revision(v3));
        plan.Status.ProgressStartedAt.Should().Be(T0.AddSeconds(25));
        plan.Events.Should().Contain(e => e.Reason == "Superseded");
    }

    [Test]
    public void Should_reuse_the_standby_colour_for_a_revision_arriving_during_stabilization()
    {
        var (v2, blue, green) = SwitchedToV2();
        var v3 = Resource("v3").WithStatus(v2.Status);

        var plan = Plan(v3, blue, green, Color.Green, Color.Green, T0.AddSeconds(5));

        plan.Step.Should().Be(new ApplyDeployment(Color.Blue, Revision(v3), "v3", 3));
        plan.Status.StandbyColor.Should().BeNull();
        plan.Status.PreviewColor.Should().Be("blue");
        plan.Events.Should().Contain(e => e.Reason == "StandbyReused");
    }

    [Test]
    public void Should_adopt_a_switch_whose_status_write_was_lost()
    {
        var (v1, blue) = ServingV1();
        var v2 = Resource("v2").WithStatus(v1.Status);
        v2.Status = Plan(v2, blue, null, Color.Blue, Color.Blue).Status;
        var green = Deployment(Color.Green, v2, 3);
        v2.Status = Plan(v2, blue, green, Color.Blue, Color.Green).Status;

        var plan = Plan(v2, blue, green, Color.Green, Color.Green, T0.AddSeconds(3));

        plan.Status.Phase.Should().Be(Phase.Stabilizing);
        plan.Status.ActiveColor.Should().Be("green");
        plan.Status.StandbyColor.Should().Be("blue");
        plan.Step.Should().Be(Wait.Instance);
    }

    [Test]
    public void Should_report_an_invalid_spec_as_degraded_without_any_workload_step()
    {
        var (v1, blue) = ServingV1();
        var bad = Resource("v2", s => s.Strategy.StandbyReplicas = 7).WithStatus(v1.Status).WithAction(RolloutAction.Promote);

        var plan = Plan(bad, blue, null, Color.Blue, Color.Blue);

        plan.Step.Should().Be(Wait.Instance);
        plan.Status.Phase.Should().Be(Phase.Degraded);
        plan.Status.Message.Should().Contain("standbyReplicas");
        plan.Status.Conditions.Should().Contain(c => c.Type == "Degraded" && c.Status == "True" && c.Reason == "InvalidSpec");
        plan.Events.Should().Contain(e => e.Reason == "InvalidSpec");
        plan.ClearAction.Should().BeTrue();
    }

    [Test]
    public void Should_move_a_condition_transition_time_only_when_its_status_flips()
    {
        var (v1, blue) = ServingV1();
        var readySince = v1.Status!.Conditions!.Single(c => c.Type == "Ready").LastTransitionTime;
        var v2 = Resource("v2").WithStatus(v1.Status);

        var plan = Plan(v2, blue, null, Color.Blue, Color.Blue, T0.AddSeconds(40));

        plan.Status.Conditions!.Single(c => c.Type == "Ready").LastTransitionTime.Should().Be(readySince);
        var progressing = plan.Status.Conditions!.Single(c => c.Type == "Progressing");
        progressing.Status.Should().Be("True");
        progressing.LastTransitionTime.Should().Be(T0.AddSeconds(40));
        progressing.Reason.Should().Be(Phase.Progressing);
    }

    [Test]
    public void Should_scale_the_active_colour_when_only_replicas_change()
    {
        var (v1, blue) = ServingV1();
        var bigger = Resource("v1", s => s.Replicas = 5).WithStatus(v1.Status);

        Plan(bigger, blue, null, Color.Blue, Color.Blue).Step.Should().Be(new ScaleDeployment(Color.Blue, 5));
    }

    static string RevisionOf(string modelVersion) => Revision(Resource(modelVersion));
}
