using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Rollout.Given;

namespace BlueGreenOperator.Tests.Rollout.Scenarios;

/// <summary>Rows W1–W4 (warm-up) and M1–M3 (model identity) of docs/design.md.</summary>
[TestFixture]
public sealed class GateScenarios
{
    static void WithWarmup(BlueGreenDeploymentSpec spec)
    {
        // The standby stays at full size throughout these scenarios: no scale-down step comes first.
        spec.Strategy.ScaleDownDelaySeconds = 300;
        spec.Warmup = new WarmupSpec
        {
            Count = 5,
            StandbyIntervalSeconds = 20,
            Requests = [new CheckSpec { Name = "warm", Http = new HttpCheckSpec { Port = 8080, Path = "/v2/models/iris" } }],
        };
    }

    static void WithoutIdentity(BlueGreenDeploymentSpec spec) => spec.Model.Identity = new ModelIdentitySpec { Mode = IdentityMode.None };

    /// <summary>v2 rolled out on green, its smoke tests asked for.</summary>
    static (Scenario World, string V2) TestingV2(Action<BlueGreenDeploymentSpec>? edit = null)
    {
        var world = Scenario.ServingV1(edit).After(60);
        var next = Resource("v2", edit);
        world.Ship(next);
        var v2 = Revision(next);
        world.Decide().Step.Should().Be(new ApplyDeployment(Color.Green, v2, "v2", 3));
        world.WithDeployment(Color.Green, v2, "v2", 3);
        return (world, v2);
    }

    [Test]
    public void W1_Should_run_the_per_pod_run_for_a_warmup_even_without_smoke_tests()
    {
        var (world, v2) = TestingV2(s => { s.SmokeTests.Clear(); WithoutIdentity(s); WithWarmup(s); });

        world.Plan().Step.Should().Be(new RunSmokeTests(Color.Green, v2), "the warm-up goes to every new pod before the switch");
    }

    [Test]
    public void W1_Should_switch_on_readiness_alone_with_no_smoke_tests_no_warmup_and_no_identity_question()
    {
        var (world, _) = TestingV2(s => { s.SmokeTests.Clear(); WithoutIdentity(s); });

        var plan = world.Plan();

        plan.Step.Should().NotBeOfType<RunSmokeTests>();
        plan.Status.ActiveColor.Should().Be("green");
    }

    [Test]
    public void W2_Should_record_each_pods_warmup_with_the_smoke_test_report()
    {
        var (world, v2) = TestingV2(WithWarmup);
        world.Smoke = world.Warmed(Color.Green, v2, world.Passed(Color.Green, v2).Results);

        var plan = world.Plan();

        plan.Status.Warmup!.Color.Should().Be("green");
        plan.Status.Warmup.Revision.Should().Be(v2);
        plan.Status.Warmup.PodCount.Should().Be(3);
        plan.Status.Warmup.Pods!.Select(p => (p.Requests, p.FirstLatencyMs, p.LastLatencyMs)).Should().AllBeEquivalentTo((5, 400L, 6L));
        plan.Status.ActiveColor.Should().Be("green", "a passed run switches as before");
    }

    [Test]
    public void W2_Should_forget_the_warmup_of_a_superseded_release()
    {
        var (world, v2) = TestingV2(WithWarmup);
        world.Smoke = world.Warmed(Color.Green, v2, [new PodCheckResult("golden", "green-x", false, 3, "wrong")]);
        world.Decide().Status.Warmup.Should().NotBeNull();

        world.Ship(Resource("v3", WithWarmup));
        var plan = world.Plan();

        plan.Status.Warmup.Should().BeNull();
    }

    [Test]
    public void W3_Should_warm_the_standby_up_at_its_interval_during_stabilization()
    {
        var world = Scenario.SwitchedToV2(WithWarmup);
        var v1 = world.Status.StandbyRevision!;
        world.StandbyWarmup = null;

        world.After(5).Plan().Step.Should().Be(Wait.Instance, "not due before standbyIntervalSeconds from the switch");
        world.After(15).Plan().Step.Should().Be(new RunStandbyWarmup(Color.Blue, v1));
    }

    [Test]
    public void W3_Should_not_keep_the_standby_warm_with_an_interval_of_zero()
    {
        var world = Scenario.SwitchedToV2(s => { WithWarmup(s); s.Warmup!.StandbyIntervalSeconds = 0; });

        world.After(100).Plan().Step.Should().Be(Wait.Instance);
    }

    [Test]
    public void W4_Should_record_the_standby_warmup_and_come_back_at_the_next_interval()
    {
        var world = Scenario.SwitchedToV2(WithWarmup);
        world.After(20);
        world.StandbyWarmup = world.Warmed(Color.Blue, world.Status.StandbyRevision!);

        var plan = world.Decide();

        plan.Step.Should().Be(Wait.Instance);
        plan.Status.StandbyWarmup!.Color.Should().Be("blue");
        plan.Status.StandbyWarmup.LastRunAt.Should().Be(world.Now);
        plan.Status.StandbyWarmup.Runs.Should().BeGreaterThan(0);
        plan.RequeueAfter.Should().BeLessThanOrEqualTo(TimeSpan.FromSeconds(21));
        world.After(20).Plan().Step.Should().Be(new RunStandbyWarmup(Color.Blue, world.Status.StandbyRevision!), "the report was recorded; the next one is due");
    }

    [Test]
    public void W4_Should_never_roll_back_on_a_standby_warmup()
    {
        var world = Scenario.SwitchedToV2(WithWarmup);
        world.After(20);
        world.StandbyWarmup = world.Warmed(Color.Blue, world.Status.StandbyRevision!, [new PodCheckResult("warm", "blue-1", false, 5000, "timed out")]);

        var plan = world.Plan();

        plan.Status.Phase.Should().Be(Phase.Stabilizing);
        plan.Status.RollbackStartedAt.Should().BeNull();
        plan.Status.ActiveColor.Should().Be("green");
    }

    [Test]
    public void M1_Should_abort_the_release_when_a_pod_serves_another_version()
    {
        var (world, v2) = TestingV2();
        var report = world.Passed(Color.Green, v2);
        var wrong = world.Pods.First(p => p.Color == Color.Green);
        world.Smoke = report with
        {
            Results = [new PodCheckResult(PodGates.IdentityCheck, wrong.Name, false, 2, "serves iris version v1, expected v2"), .. report.Results],
        };

        var plan = world.Plan();

        plan.Step.Should().Be(new ScaleDeployment(Color.Green, 0));
        plan.Status.AbortedRevision.Should().Be(v2);
        plan.Status.AbortedReason.Should().Be("SmokeTestsFailed");
        plan.Status.Message.Should().Be($"Revision {v2} on green: pod {wrong.Name} serves iris version v1, expected v2");
        plan.Status.ActiveColor.Should().Be("blue", "the pod never takes traffic");
        plan.Status.SmokeTests.Should().Contain(r => r.Name == PodGates.IdentityCheck && !r.Passed);
    }

    [Test]
    public void M1_Should_ask_the_pods_which_model_they_serve_even_without_smoke_tests()
    {
        var (world, v2) = TestingV2(s => s.SmokeTests.Clear());

        world.Plan().Step.Should().Be(new RunSmokeTests(Color.Green, v2));
    }

    [Test]
    public void M2_Should_run_analysis_for_the_identity_question_when_analysis_has_no_checks()
    {
        var world = Scenario.SwitchedToV2(s => s.Analysis = new AnalysisSpec { IntervalSeconds = 10 });

        world.After(10).Plan().Step.Should().Be(new RunAnalysis(Color.Green, world.Status.ActiveRevision!));
    }

    [Test]
    public void M2_Should_count_a_serving_pod_that_serves_another_version_as_a_failed_analysis_run()
    {
        var world = Scenario.SwitchedToV2(s => s.Analysis = new AnalysisSpec { IntervalSeconds = 10, FailureLimit = 1 });
        var v2 = world.Status.ActiveRevision!;
        var pod = world.Pods.First(p => p.Color == Color.Green).Name;
        world.After(10).Analysis = world.Report(Color.Green, v2, _ => true) with
        {
            Results = [new PodCheckResult(PodGates.IdentityCheck, pod, false, 2, "serves iris version hand-edited, expected v2")],
        };

        var plan = world.Plan();

        plan.Status.AbortedRevision.Should().Be(v2, "failureLimit 1: the rollback is decided");
        plan.Events.Should().Contain(e => e.Reason == "RollingBack" && e.Message.Contains("serves iris version hand-edited, expected v2"));
    }

    [Test]
    public void M3_Should_run_no_analysis_for_identity_alone_when_it_is_switched_off()
    {
        var world = Scenario.SwitchedToV2(s => { WithoutIdentity(s); s.Analysis = new AnalysisSpec { IntervalSeconds = 10 }; });

        world.After(10).Plan().Step.Should().Be(Wait.Instance);
    }
}
