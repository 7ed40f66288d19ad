using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Rollout.Given;

namespace BlueGreenOperator.Tests.Rollout.Scenarios;

/// <summary>Rows F1–F10 of docs/design.md: the first release, before anything the operator decided serves.</summary>
[TestFixture]
public sealed class FirstReleaseScenarios
{
    [Test]
    public void F1_Should_create_the_first_colour_at_full_size_and_start_the_clock()
    {
        var world = new Scenario(Resource("v1"));

        var plan = world.Plan();

        plan.Stage.Should().Be(Stage.FirstRelease);
        plan.Step.Should().Be(new ApplyDeployment(Color.Blue, Revision(world.Resource), "v1", 3));
        plan.Status.Phase.Should().Be(Phase.Initializing);
        plan.Status.PreviewColor.Should().Be("blue");
        plan.Status.ProgressStartedAt.Should().Be(T0);
        plan.Status.CurrentRevision.Should().Be(Revision(world.Resource));
        plan.Status.ObservedGeneration.Should().Be(1);
    }

    [Test]
    public void F1_Should_start_on_the_colour_an_existing_Service_does_not_select()
    {
        var world = new Scenario(Resource("v1")).WithActive(Color.Blue, null);

        world.Plan().Step.Should().Be(new ApplyDeployment(Color.Green, Revision(world.Resource), "v1", 3));
    }

    [Test]
    public void F2_Should_abort_the_first_release_on_the_abort_action_before_scaling_it_down()
    {
        var world = new Scenario(Resource("v1"));
        world.Decide();
        world.WithDeployment(Color.Blue, world.Resource, 3, ready: 1).Act(RolloutAction.Abort);

        var plan = world.Plan();

        plan.Step.Should().Be(new ScaleDeployment(Color.Blue, 0));
        plan.Status.AbortedRevision.Should().Be(Revision(world.Resource), "the decision is in the status that is written before the scale-down");
        plan.Status.Phase.Should().Be(Phase.Degraded);
        plan.Events.Should().Contain(e => e.Reason == "Aborted" && e.Kind == EventKind.Warning);
        plan.ConsumedAction.Should().Be(RolloutAction.Abort);
    }

    [Test]
    public void F3_Should_revert_a_hand_edit_of_the_first_colour()
    {
        var world = new Scenario(Resource("v1"));
        world.Decide();
        world.WithDeployment(Color.Blue, world.Resource, 3).Edit(Color.Blue, d => d with { TemplateIntact = false });
        world.Smoke = world.Passed(Color.Blue, Revision(world.Resource));

        var plan = world.Plan();

        plan.Step.Should().Be(new ApplyDeployment(Color.Blue, Revision(world.Resource), "v1", 3), "edited pods are not what the spec asks for, tested or not");
        plan.Status.ActiveColor.Should().BeNull();
        plan.Events.Should().Contain(e => e.Reason == "DeploymentReverted");
    }

    [Test]
    public void F4_Should_wait_for_the_first_colour_until_the_progress_deadline()
    {
        var world = new Scenario(Resource("v1"));
        world.Decide();
        world.WithDeployment(Color.Blue, world.Resource, 3, ready: 1).WithPreview(Color.Blue).After(100);
        world.Edit(Color.Blue, d => d with { AvailableReplicas = 1 });

        var plan = world.Plan();

        plan.Step.Should().Be(Wait.Instance);
        plan.Status.Message.Should().Contain("1/3 available");
        plan.RequeueAfter.Should().Be(TimeSpan.FromSeconds(201));
    }

    [Test]
    public void F5_Should_abort_the_first_release_at_the_progress_deadline()
    {
        var world = new Scenario(Resource("v1"));
        world.Decide();
        world.WithDeployment(Color.Blue, world.Resource, 3, ready: 1).After(300);

        var plan = world.Plan();

        plan.Step.Should().Be(new ScaleDeployment(Color.Blue, 0));
        plan.Status.AbortedRevision.Should().Be(Revision(world.Resource));
        plan.Status.Message.Should().Contain("was not available within 300s");
        plan.Status.Conditions.Should().Contain(c => c.Type == "Degraded" && c.Status == "True" && c.Reason == "ProgressDeadlineExceeded");
    }

    [Test]
    public void F6_Should_run_the_smoke_tests_once_the_first_colour_is_available()
    {
        var world = new Scenario(Resource("v1"));
        world.Decide();
        world.WithDeployment(Color.Blue, world.Resource, 3);

        world.Plan().Step.Should().Be(new RunSmokeTests(Color.Blue, Revision(world.Resource)));
    }

    [Test]
    public void F7_Should_abort_the_first_release_when_one_pod_fails_a_smoke_test()
    {
        var world = new Scenario(Resource("v1"));
        world.Decide();
        world.WithDeployment(Color.Blue, world.Resource, 3);
        var failing = world.Pods[1].Name;
        world.Smoke = world.Report(Color.Blue, Revision(world.Resource), p => p.Name != failing);

        var plan = world.Plan();

        plan.Step.Should().Be(new ScaleDeployment(Color.Blue, 0));
        plan.Status.AbortedRevision.Should().Be(Revision(world.Resource));
        plan.Status.SmokeTests.Should().ContainSingle().Which.FailingPods.Should().Equal(failing);
        plan.Events.Should().Contain(e => e.Reason == "SmokeTestsFailed");
    }

    [Test]
    public void F8_Should_keep_an_aborted_first_release_down_and_ignore_other_actions()
    {
        var world = new Scenario(Resource("v1"));
        world.Decide();
        world.WithDeployment(Color.Blue, world.Resource, 3).After(300);
        world.Decide();
        world.Act(RolloutAction.Promote);

        var plan = world.Plan();

        plan.Step.Should().Be(new ScaleDeployment(Color.Blue, 0), "the failed colour still has pods");
        plan.Status.Phase.Should().Be(Phase.Degraded);
        plan.Status.Message.Should().Contain("within 300s", "the failure's message is kept");
        plan.Events.Should().Contain(e => e.Reason == "ActionIgnored");
    }

    [Test]
    public void F9_Should_release_an_aborted_first_release_again_on_retry()
    {
        var world = new Scenario(Resource("v1"));
        world.Decide();
        world.WithDeployment(Color.Blue, world.Resource, 3, ready: 0).After(300);
        world.Decide();
        world.WithDeployment(Color.Blue, world.Resource, 0);
        world.Decide();
        world.Act(RolloutAction.Retry).After(10);

        var plan = world.Plan();

        plan.Status.AbortedRevision.Should().BeNull();
        plan.Step.Should().Be(new ApplyDeployment(Color.Blue, Revision(world.Resource), "v1", 3));
        plan.Status.ProgressStartedAt.Should().Be(world.Now, "the retried release gets a new deadline");
        plan.Events.Should().Contain(e => e.Reason == "Retry");
    }

    [Test]
    public void F10_Should_decide_to_serve_the_tested_colour_before_the_Service_is_created()
    {
        var world = new Scenario(Resource("v1"));
        world.Decide();
        world.WithDeployment(Color.Blue, world.Resource, 3);
        world.Smoke = world.Passed(Color.Blue, Revision(world.Resource));

        var plan = world.Decide();

        plan.Step.Should().Be(new PointService(ServiceRole.Active, Color.Blue, Scenario.Hash(Revision(world.Resource))));
        plan.Status.ActiveColor.Should().Be("blue");
        plan.Status.ActivePodTemplateHash.Should().Be(Scenario.Hash(Revision(world.Resource)));
        plan.Status.LastSwitchMilliseconds.Should().BeNull();
        plan.Status.Phase.Should().Be(Phase.Initializing, "nothing serves until the Service exists");

        world.WithActive(Color.Blue, plan.Status.ActivePodTemplateHash);
        world.ServiceWrite = TimeSpan.FromMilliseconds(9);
        var served = world.Plan();

        served.Status.Phase.Should().Be(Phase.Healthy);
        served.Status.LastSwitchMilliseconds.Should().Be(9);
        served.Events.Should().Contain(e => e.Reason == "Serving");
        served.Status.Conditions.Should().Contain(c => c.Type == "Ready" && c.Status == "True");
    }
}
