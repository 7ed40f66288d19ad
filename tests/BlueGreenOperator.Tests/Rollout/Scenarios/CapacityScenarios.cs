using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s.Models;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Rollout.Given;

namespace BlueGreenOperator.Tests.Rollout.Scenarios;

/// <summary>
/// Rows C1–C3, K1–K4 and S8/B6 of docs/design.md: pods the scheduler cannot place, the scale subresource an
/// autoscaler drives, and the warm standby on cheaper capacity.
/// </summary>
[TestFixture]
public sealed class CapacityScenarios
{
    const string NoGpu = "0/1 nodes are available: 1 Insufficient nvidia.com/gpu.";

    static Scenario ReleaseWaitingForGpus(Action<BlueGreenDeploymentSpec>? edit = null)
    {
        var world = Scenario.ServingV1();
        var v2 = Resource("v2", edit);
        world.Ship(v2).Decide();
        world.WithDeployment(Color.Green, v2, 3, ready: 1).WithPreview(Color.Green);
        foreach (var pod in world.Pods.Where(p => p.Color == Color.Green && !p.Ready).ToList())
            world.Unschedule(pod.Name, NoGpu);
        return world;
    }

    [Test]
    public void C1_Should_say_at_once_that_pods_cannot_be_scheduled_with_the_schedulers_words()
    {
        var world = ReleaseWaitingForGpus();

        var plan = world.Plan();

        plan.Step.Should().Be(Wait.Instance);
        plan.Status.InsufficientCapacitySince.Should().Be(world.Now);
        plan.Status.Message.Should().Contain("2 of 3 pods of green cannot be scheduled").And.Contain("Insufficient nvidia.com/gpu");
        plan.Status.Conditions.Should().Contain(c => c.Type == "Progressing" && c.Status == "False" && c.Reason == "InsufficientCapacity");
        plan.Events.Should().ContainSingle(e => e.Reason == "InsufficientCapacity" && e.Kind == EventKind.Warning);
        plan.Status.ActiveColor.Should().Be("blue");
        world.Deployment(Color.Blue)!.DesiredReplicas.Should().Be(3, "the serving colour is never touched");
    }

    [Test]
    public void C2_Should_wait_for_capacity_up_to_its_bound_and_say_it_once()
    {
        var world = ReleaseWaitingForGpus(s => s.Strategy.InsufficientCapacitySeconds = 60);
        world.Decide();

        var waiting = world.After(30).Plan();
        waiting.Step.Should().Be(Wait.Instance);
        waiting.Events.Should().NotContain(e => e.Reason == "InsufficientCapacity");
        waiting.RequeueAfter.Should().Be(TimeSpan.FromSeconds(31));

        var given = world.After(30).Plan();
        given.Step.Should().Be(new ScaleDeployment(Color.Green, 0));
        given.Status.AbortedReason.Should().Be(DegradedReasons.InsufficientCapacity);
    }

    [Test]
    public void C3_Should_abort_at_once_when_the_strategy_says_so()
    {
        var world = ReleaseWaitingForGpus(s => s.Strategy.OnInsufficientCapacity = CapacityPolicy.Abort);

        var plan = world.Plan();

        plan.Step.Should().Be(new ScaleDeployment(Color.Green, 0));
        plan.Status.AbortedRevision.Should().NotBeNull();
        plan.Status.Conditions.Should().Contain(c => c.Type == "Degraded" && c.Reason == "InsufficientCapacity");
        plan.Status.Message.Should().Contain("Insufficient nvidia.com/gpu");
    }

    [Test]
    public void K1_Should_publish_the_serving_colours_pods_for_an_autoscaler_and_not_the_standby()
    {
        var world = Scenario.SwitchedToV2();

        var plan = world.Plan();

        plan.Status.Replicas.Should().Be(3);
        plan.Status.Selector.Should().Be($"app.kubernetes.io/instance=fraud-model,bluegreen.dev/color=green,pod-template-hash={world.Status.ActivePodTemplateHash}");
    }

    [Test]
    public void K2_Should_resize_the_serving_colour_at_once_when_an_autoscaler_changes_replicas_mid_rollout()
    {
        var world = Scenario.ServingV1();
        var v2 = Resource("v2", s => s.Strategy.AutoPromote = false);
        world.Ship(v2).Settle();
        world.Status.Phase.Should().Be(Phase.Paused);
        world.Ship(Resource("v2", s =>
        {
            s.Strategy.AutoPromote = false;
            s.Replicas = 6;
        }));

        var plan = world.Plan();

        plan.Stage.Should().Be(Stage.Release, "a replicas change is never a new release");
        plan.Status.PreviewRevision.Should().Be(Revision(v2));
        plan.Step.Should().Be(new ScaleDeployment(Color.Blue, 6));
    }

    [Test]
    public void K3_Should_bring_the_new_colour_up_at_the_size_the_serving_colour_has_now()
    {
        var world = Scenario.ServingV1().Ship(Resource("v1", s => s.Replicas = 5)).Settle();
        world.Deployment(Color.Blue)!.DesiredReplicas.Should().Be(5);
        var v2 = Resource("v2", s => s.Replicas = 5);
        world.Ship(v2);

        world.Plan().Step.Should().Be(new ApplyDeployment(Color.Green, Revision(v2), "v2", 5));
    }

    [Test]
    public void K4_Should_hand_the_autoscaler_the_new_colours_pods_after_the_switch()
    {
        var world = Scenario.ServingV1();
        var before = world.Plan().Status.Selector;

        world.Ship(Resource("v2")).Settle();

        world.Status.Selector.Should().NotBe(before).And.Contain("bluegreen.dev/color=green");
    }

    static void Spot(BlueGreenDeploymentSpec spec) => spec.Strategy.Standby = new StandbyPlacementSpec
    {
        NodeSelector = new Dictionary<string, string> { ["node.bluegreen.dev/capacity"] = "spot" },
        Tolerations = [new V1Toleration { Key = "spot", OperatorProperty = "Exists", Effect = "NoSchedule" }],
    };

    [Test]
    public void S8_Should_move_the_standby_to_its_cheaper_placement_after_the_scale_down_delay()
    {
        var world = Scenario.SwitchedToV2(Spot).After(30);

        var plan = world.Plan();

        plan.Step.Should().Be(new ApplyDeployment(Color.Blue, world.Status.StandbyRevision!, "v1", 1, Standby: true));
        plan.Events.Should().Contain(e => e.Reason == "StandbyPlaced");
    }

    [Test]
    public void B6_Should_restore_a_placed_standby_to_its_own_template_before_the_rollback_switches()
    {
        var world = Scenario.SwitchedToV2(Spot).After(30);
        world.Decide();
        world.WithDeployment(Color.Blue, world.Status.StandbyRevision!, "v1", 1);
        world.Edit(Color.Blue, d => d with { StandbyPlacement = true });
        world.ReplacePodHashes(Color.Blue, "h-placed");
        world.Act(RolloutAction.Rollback);

        var plan = world.Decide();

        plan.Step.Should().Be(new ApplyDeployment(Color.Blue, world.Status.StandbyRevision!, "v1", 3), "the placed pods are not the tested template");
        plan.Status.ActiveColor.Should().Be("green", "nothing switches to pods of another template");
    }
}
