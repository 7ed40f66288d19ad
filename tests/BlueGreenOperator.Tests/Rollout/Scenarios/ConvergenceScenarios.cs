using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Rollout.Given;

namespace BlueGreenOperator.Tests.Rollout.Scenarios;

/// <summary>
/// Rows G0–G8 and X1–X3 of docs/design.md: the world made to follow the decisions in status, whatever was deleted,
/// edited or refused meanwhile; specs that cannot be acted on.
/// </summary>
[TestFixture]
public sealed class ConvergenceScenarios
{
    [Test]
    public void G0_Should_not_serve_the_judged_revision_again_while_a_rollback_is_under_way()
    {
        var world = Scenario.SwitchedToV2().After(30).Settle(3).Act(RolloutAction.Rollback);
        world.Decide();
        world.Status.RollbackStartedAt.Should().NotBeNull();
        world.Active = null;

        var plan = world.Plan();

        plan.Step.Should().NotBeOfType<PointService>("the Service is recreated by the rollback's decision, on the standby");
        plan.Step.Should().Be(new ScaleDeployment(Color.Blue, 3));
    }

    [Test]
    public void G1_Should_recreate_a_deleted_active_Service_on_the_good_colour_while_an_aborted_release_is_held()
    {
        var world = Scenario.ServingV1();
        var v1Hash = world.Status.ActivePodTemplateHash;
        var v2 = Resource("v2");
        world.Ship(v2).Decide();
        world.WithDeployment(Color.Green, v2, 3).After(300);
        world.Decide();
        world.WithDeployment(Color.Green, v2, 0);
        world.Decide().Stage.Should().Be(Stage.Hold);
        world.Active = null;

        var plan = world.Plan();

        plan.Step.Should().Be(new PointService(ServiceRole.Active, Color.Blue, v1Hash));
        plan.Events.Should().Contain(e => e.Reason == "ServiceRestored" && e.Kind == EventKind.Warning);
        plan.Status.ActiveColor.Should().Be("blue");
        plan.Status.Phase.Should().Be(Phase.Degraded, "the aborted release is still held");
        world.Deployment(Color.Blue)!.DesiredReplicas.Should().Be(3, "the good colour is never scaled down because something else disappeared");
    }

    [Test]
    public void G2_Should_restore_a_selector_moved_by_hand_onto_the_rolled_back_colour()
    {
        var world = Scenario.SwitchedToV2().Act(RolloutAction.Rollback).Settle();
        world.Status.Phase.Should().Be(Phase.RolledBack);
        var goodHash = world.Status.ActivePodTemplateHash;
        world.WithActive(Color.Green, null);

        var plan = world.Plan();

        plan.Step.Should().Be(new PointService(ServiceRole.Active, Color.Blue, goodHash));
        plan.Events.Should().Contain(e => e.Reason == "SelectorRestored" && e.Kind == EventKind.Warning);
        plan.Status.Phase.Should().Be(Phase.RolledBack);
        plan.Status.ActiveColor.Should().Be("blue");
    }

    [Test]
    public void G2_Should_not_move_traffic_from_the_tested_standby_onto_a_serving_colour_without_ready_pods()
    {
        var world = Scenario.SwitchedToV2().After(5);
        var v2 = world.Status.ActiveRevision!;
        world.WithDeployment(Color.Green, v2, "v2", 3, ready: 0);
        world.WithActive(Color.Blue, world.Status.StandbyPodTemplateHash);

        var plan = world.Plan();

        plan.Step.Should().NotBeOfType<PointService>("the hand-moved selector serves tested pods and green has none ready");
        plan.Status.Message.Should().Contain("Waiting for green to have a ready pod");
    }

    [Test]
    public void G2_Should_move_away_from_a_hand_selection_whose_untested_pods_are_not_ready_yet()
    {
        var world = Scenario.SwitchedToV2().After(5);
        var v2 = world.Status.ActiveRevision!;
        world.WithDeployment(Color.Green, v2, "v2", 3, ready: 0);
        world.AddPod(Color.Blue, "v9", "h-untested", ready: false);
        world.WithActive(Color.Blue, null);

        var plan = world.Plan();

        plan.Step.Should().Be(new PointService(ServiceRole.Active, Color.Green, world.Status.ActivePodTemplateHash),
            "the untested pod would take traffic as soon as it is ready: promise 1 before promise 2");
    }

    [Test]
    public void G2_Should_carry_out_a_decided_switch_that_did_not_reach_the_Service()
    {
        var world = Scenario.ServingV1();
        var v2 = Resource("v2");
        world.Ship(v2).Decide();
        world.WithDeployment(Color.Green, v2, 3).WithPreview(Color.Green);
        world.Smoke = world.Passed(Color.Green, Revision(v2));
        world.Decide();
        world.Smoke = null;

        var plan = world.After(3).Plan();

        plan.Step.Should().Be(new PointService(ServiceRole.Active, Color.Green, Scenario.Hash(Revision(v2))));
        plan.Events.Should().NotContain(e => e.Reason == "SelectorRestored", "it is the operator's own decision, not a hand edit");
    }

    [Test]
    public void G2_Should_restore_Service_ports_edited_by_hand()
    {
        var world = Scenario.ServingV1();
        world.Active = world.Active! with { Ports = [new ServicePortSpec { Name = "http", Port = 81, TargetPort = 8080 }] };

        var plan = world.Plan();

        plan.Step.Should().Be(new PointService(ServiceRole.Active, Color.Blue, world.Status.ActivePodTemplateHash));
        plan.Events.Should().Contain(e => e.Reason == "SelectorRestored" && e.Message.Contains("ports"));
    }

    [Test]
    public void G3_Should_write_a_deleted_serving_Deployment_again_from_the_serving_revision_not_the_paused_one()
    {
        var world = Scenario.ServingV1();
        var v1 = world.Status.ActiveRevision!;
        world.Ship(Resource("v2", s => s.Strategy.AutoPromote = false)).Settle();
        world.Status.Phase.Should().Be(Phase.Paused);
        world.Without(Color.Blue);

        var plan = world.Plan();

        plan.Step.Should().Be(new ApplyDeployment(Color.Blue, v1, "v1", 3));
        plan.Status.Phase.Should().Be(Phase.Paused);
        plan.Events.Should().Contain(e => e.Reason == "DeploymentRestored");
    }

    [Test]
    public void G3_Should_revert_a_hand_edit_of_the_serving_template()
    {
        var world = Scenario.ServingV1();
        world.Edit(Color.Blue, d => d with { TemplateIntact = false });

        world.Plan().Step.Should().Be(new ApplyDeployment(Color.Blue, world.Status.ActiveRevision!, "v1", 3));
    }

    [Test]
    public void G3_Should_say_so_when_the_serving_template_is_lost()
    {
        var world = Scenario.ServingV1();
        var v1 = world.Status.ActiveRevision!;
        world.Ship(Resource("v2", s => s.Strategy.AutoPromote = false)).Settle();
        world.Templates.Remove(v1);
        world.Without(Color.Blue);

        var plan = world.Plan();

        plan.Step.Should().NotBeOfType<ApplyDeployment>();
        plan.Status.Conditions.Should().Contain(c => c.Type == "Degraded" && c.Reason == "TemplateLost");
    }

    [Test]
    public void G4_Should_scale_the_serving_colour_back_after_a_hand_scale_down()
    {
        var world = Scenario.ServingV1();
        world.Edit(Color.Blue, d => d with { DesiredReplicas = 1 });

        var plan = world.Plan();

        plan.Step.Should().Be(new ScaleDeployment(Color.Blue, 3));
        plan.Events.Should().Contain(e => e.Reason == "ReplicasRestored" && e.Kind == EventKind.Warning);
    }

    [Test]
    public void G4_Should_resize_the_serving_colour_when_the_spec_changes_replicas()
    {
        var world = Scenario.ServingV1();
        world.Ship(Resource("v1", s => s.Replicas = 5));

        var plan = world.Plan();

        plan.Step.Should().Be(new ScaleDeployment(Color.Blue, 5));
        plan.Events.Should().Contain(e => e.Reason == "Scaled" && e.Kind == EventKind.Normal);
    }

    [Test]
    public void G5_Should_recreate_a_deleted_preview_Service()
    {
        var world = Scenario.ServingV1();
        world.Preview = null;

        world.Plan().Step.Should().Be(new PointService(ServiceRole.Preview, Color.Blue));
    }

    [Test]
    public void G6_Should_record_the_serving_template_again_when_its_record_is_deleted()
    {
        var world = Scenario.ServingV1();
        world.Templates.Clear();

        world.Plan().Step.Should().Be(new RecordTemplate(Color.Blue, world.Status.ActiveRevision!));
    }

    [Test]
    public void G7_Should_delete_kept_templates_nothing_needs()
    {
        var world = Scenario.ServingV1();
        world.Templates.Add("0123456789");

        world.Plan().Step.Should().Be(new PruneTemplates(["0123456789"]));
    }

    [Test]
    public void G8_Should_follow_the_serving_pods_when_an_unchanged_template_gets_a_new_pod_template_hash()
    {
        var world = Scenario.ServingV1();
        var v1 = world.Status.ActiveRevision!;
        world.Without(Color.Blue).WithDeployment(Color.Blue, v1, "v1", 0);
        for (var i = 0; i < 3; i++)
            world.AddPod(Color.Blue, v1, "h-renamed", ready: true);
        world.Edit(Color.Blue, d => d with { DesiredReplicas = 3, Replicas = 3, UpdatedReplicas = 3, AvailableReplicas = 3 });

        var plan = world.Plan();

        plan.Status.ActivePodTemplateHash.Should().Be("h-renamed");
        plan.Step.Should().Be(new PointService(ServiceRole.Active, Color.Blue, "h-renamed"));
        plan.Events.Should().Contain(e => e.Reason == "PodTemplateHashChanged");
    }

    [Test]
    public void X1_Should_report_an_invalid_spec_and_write_nothing_else()
    {
        var world = Scenario.ServingV1();
        world.Ship(Resource("v2", s => s.Strategy.StandbyReplicas = 9));

        var plan = world.Plan();

        plan.Stage.Should().Be(Stage.InvalidSpec);
        plan.Step.Should().Be(Wait.Instance);
        plan.Status.Phase.Should().Be(Phase.Degraded);
        plan.Status.Message.Should().Contain("standbyReplicas");
        plan.Status.Conditions.Should().Contain(c => c.Type == "Degraded" && c.Reason == "InvalidSpec");
        plan.Events.Should().ContainSingle(e => e.Reason == "InvalidSpec");
    }

    [Test]
    public void X2_Should_leave_an_object_it_does_not_own_alone()
    {
        var world = new Scenario(Resource("v1")) { NameConflict = "Service fraud-model exists and is not owned by this BlueGreenDeployment; it is left alone" };

        var plan = world.Plan();

        plan.Stage.Should().Be(Stage.NameConflict);
        plan.Step.Should().Be(Wait.Instance);
        plan.Status.Conditions.Should().Contain(c => c.Type == "Degraded" && c.Reason == "NameConflict");
        plan.RequeueAfter.Should().NotBeNull();
    }

    [Test]
    public void X3_Should_report_a_refused_write_as_degraded_and_keep_the_decision()
    {
        var world = Scenario.ServingV1();
        var v2 = Resource("v2");
        world.Ship(v2).After(5);
        var step = new ApplyDeployment(Color.Green, Revision(v2), "v2", 3);
        world.Plan().Step.Should().Be(step);
        world.Refused = new RefusedWrite(step, 403, "Forbidden", "Deployment iris-green: exceeded quota: count/deployments.apps=2, used: count/deployments.apps=2, limited: count/deployments.apps=2");

        var plan = world.Decide();

        plan.Step.Should().Be(step, "it is retried with back-off");
        plan.Status.Phase.Should().Be(Phase.Degraded);
        plan.Status.Message.Should().Contain("403 Forbidden").And.Contain("exceeded quota");
        plan.Status.Conditions.Should().Contain(c => c.Type == "Degraded" && c.Status == "True" && c.Reason == "WriteRefused");
        plan.Status.PreviewRevision.Should().Be(Revision(v2), "the decision stands");
        plan.Events.Should().ContainSingle(e => e.Reason == "WriteRefused");
        world.Plan().Events.Should().NotContain(e => e.Reason == "WriteRefused", "said once");

        world.After(300).Plan().Status.AbortedRevision.Should().Be(Revision(v2), "the progress deadline runs through refused writes");
    }
}
