using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Rollout.Given;

namespace BlueGreenOperator.Tests.Rollout.Scenarios;

/// <summary>
/// Rows P1–P9 of docs/design.md: recorded requests replayed against the new and the serving colour before the switch,
/// and with spec.replay.afterSwitch in each analysis run, the serving colour against the warm standby.
/// </summary>
[TestFixture]
public sealed class ParityScenarios
{
    static void WithReplay(BlueGreenDeploymentSpec spec) => spec.Replay = new ReplaySpec
    {
        ConfigMapRef = new ConfigMapKeyReference { Name = "iris-replay", Key = "requests.jsonl" },
        Port = 8080,
        Model = "iris",
        MinAgreement = 0.95,
    };

    /// <summary>Plays the planner's steps until it asks for the replay, persists that decision, and returns the step unanswered.</summary>
    static RunReplay UntilReplay(Scenario world)
    {
        for (var i = 0; i < 40; i++)
        {
            if (world.Plan().Step is RunReplay replay)
            {
                world.Decide();
                return replay;
            }

            world.Settle(1);
        }

        throw new InvalidOperationException($"no replay was asked for: {world.Status.Phase} {world.Status.Message}");
    }

    [Test]
    public void P1_Should_replay_against_the_serving_colour_once_the_release_passed_its_smoke_tests_and_before_the_switch()
    {
        var world = Scenario.ServingV1(WithReplay);
        var v1Hash = world.Status.ActivePodTemplateHash;
        var v2 = Resource("v2", WithReplay);
        world.Ship(v2);

        var step = UntilReplay(world);

        step.Should().Be(new RunReplay(Color.Green, Revision(v2), Color.Blue, world.Status.ActiveRevision, v1Hash));
        world.Status.TestedRevision.Should().Be(Revision(v2), "the smoke tests passed first");
        world.Status.ActiveColor.Should().Be("blue", "nothing switches before the replay passed");
        world.Plan().Status.Message.Should().Contain("Replaying recorded requests against green").And.Contain("blue");
    }

    [Test]
    public void P2_Should_record_the_parity_report_and_switch_when_it_passes()
    {
        var world = Scenario.ServingV1(WithReplay);
        var v2 = Resource("v2", WithReplay);
        world.Ship(v2);
        world.Replay = world.Replayed(UntilReplay(world), passed: true);

        var plan = world.Decide();

        plan.Status.Parity!.Passed.Should().BeTrue();
        plan.Status.Parity.Revision.Should().Be(Revision(v2));
        plan.Status.Parity.Agreement.Should().Be(0.9867);
        plan.Events.Should().Contain(e => e.Reason == "ParityPassed" && e.Message.Contains("agreement 98.7 %"));
        plan.Status.ActiveColor.Should().Be("green", "the switch is decided once parity passed");
        world.Settle();
        world.Status.Phase.Should().Be(Phase.Stabilizing);
        world.Status.Parity!.Passed.Should().BeTrue("the report stays in status after the switch");
    }

    [Test]
    public void P3_Should_abort_the_release_with_the_parity_report_when_a_threshold_is_missed()
    {
        var world = Scenario.ServingV1(WithReplay);
        var v2 = Resource("v2", WithReplay);
        world.Ship(v2);
        const string Message = "agreement 70.7 % < 95 % on 150 requests; 44 disagreements, first: line 51";
        world.Replay = world.Replayed(UntilReplay(world), passed: false, Message);

        var plan = world.Decide();

        plan.Step.Should().Be(new ScaleDeployment(Color.Green, 0));
        plan.Status.AbortedRevision.Should().Be(Revision(v2));
        plan.Status.AbortedReason.Should().Be(DegradedReasons.ParityFailed);
        plan.Status.Phase.Should().Be(Phase.Degraded);
        plan.Status.Message.Should().Contain("failed its replay against blue").And.Contain(Message);
        plan.Status.Parity!.Passed.Should().BeFalse();
        plan.Status.ActiveColor.Should().Be("blue", "what serves is untouched");
        plan.Events.Should().Contain(e => e.Reason == DegradedReasons.ParityFailed);
        world.Settle();
        world.Status.ActiveColor.Should().Be("blue");
        world.Status.Parity!.Message.Should().Be(Message, "the report is kept for the reader while the revision is held");
    }

    [Test]
    public void P4_Should_replay_a_first_release_with_nothing_serving_to_compare_with()
    {
        var world = new Scenario(Resource("v1", WithReplay));

        var step = UntilReplay(world);

        step.Should().Be(new RunReplay(Color.Blue, Revision(world.Resource), null, null, null));
        world.Status.ActiveColor.Should().BeNull("nothing serves before the replay passed");
        world.Replay = world.Replayed(step, passed: true, "150 requests, nothing serving to compare with; accuracy 98.7 %");
        world.Settle();
        world.Status.Phase.Should().Be(Phase.Healthy);
        world.Status.Parity!.ServingRevision.Should().BeNull();
    }

    [Test]
    public void P4_Should_abort_a_first_release_whose_replay_failed()
    {
        var world = new Scenario(Resource("v1", WithReplay));
        world.Replay = world.Replayed(UntilReplay(world), passed: false, "accuracy 33.3 % < 90 % on 150 labelled requests; 100 wrong, first: line 51");

        var plan = world.Decide();

        plan.Status.AbortedReason.Should().Be(DegradedReasons.ParityFailed);
        plan.Status.ActiveColor.Should().BeNull();
        plan.Step.Should().Be(new ScaleDeployment(Color.Blue, 0));
    }

    [Test]
    public void P5_Should_replay_again_shortly_when_no_pod_was_ready_to_replay_against()
    {
        var world = Scenario.ServingV1(WithReplay);
        var v2 = Resource("v2", WithReplay);
        world.Ship(v2);
        var step = UntilReplay(world);
        world.Replay = new CheckReport(Color.Green, Revision(v2), [], [], null, world.Now);
        world.WithPreview(Color.Green);

        var plan = world.Decide();

        plan.Step.Should().Be(Wait.Instance);
        plan.RequeueAfter.Should().NotBeNull();
        plan.Status.AbortedRevision.Should().BeNull("no ready pod is not a failed replay");
        plan.Status.Message.Should().Contain("no ready pod of green to replay against");
        world.After(2).Plan().Step.Should().Be(step);
    }

    [Test]
    public void P5_Should_abort_at_the_progress_deadline_while_the_replay_has_not_reported()
    {
        var world = Scenario.ServingV1(WithReplay);
        var v2 = Resource("v2", WithReplay);
        world.Ship(v2);
        UntilReplay(world);
        world.After(world.Resource.Spec.Strategy.ProgressDeadlineSeconds + 1);

        var plan = world.Decide();

        plan.Status.AbortedReason.Should().Be(DegradedReasons.ProgressDeadlineExceeded);
        plan.Status.Message.Should().Contain("did not pass its replay");
    }

    [Test]
    public void P6_Should_pause_for_the_promote_action_only_after_the_replay_passed_and_not_replay_again_after_it()
    {
        static void Manual(BlueGreenDeploymentSpec spec)
        {
            WithReplay(spec);
            spec.Strategy.AutoPromote = false;
            spec.Strategy.PreviewReplicas = 1;
        }

        var world = Scenario.ServingV1(Manual);
        var v2 = Resource("v2", Manual);
        world.Ship(v2);
        var step = UntilReplay(world);
        world.Status.Phase.Should().NotBe(Phase.Paused, "a release is not offered for promotion before its replay");
        world.Replay = world.Replayed(step, passed: true);
        world.Settle();
        world.Status.Phase.Should().Be(Phase.Paused);

        world.Replay = null;
        world.Act(RolloutAction.Promote).Settle();

        world.Status.Phase.Should().Be(Phase.Stabilizing, "the replay passed on the tested template; the promoted pods are smoke tested, not replayed");
        world.Status.ActiveColor.Should().Be("green");
    }

    [Test]
    public void P6_Should_replay_a_new_release_again_and_never_carry_a_passed_report_over()
    {
        var world = Scenario.SwitchedToV2(WithReplay);
        var v3 = Resource("v3", WithReplay);
        world.Ship(v3);

        var plan = world.Decide();

        plan.Status.Parity.Should().BeNull("a new release starts without a report");
        UntilReplay(world).Should().Be(new RunReplay(Color.Blue, Revision(v3), Color.Green, world.Status.ActiveRevision, world.Status.ActivePodTemplateHash));
    }

    [Test]
    public void P6_Should_not_replay_without_spec_replay()
    {
        var world = Scenario.ServingV1();
        world.Ship(Resource("v2")).Settle();

        world.Status.Phase.Should().Be(Phase.Stabilizing);
        world.Status.Parity.Should().BeNull();
    }
    static void AfterSwitchWithAnalysis(BlueGreenDeploymentSpec spec)
    {
        WithReplay(spec);
        spec.Replay!.AfterSwitch = true;
        spec.Analysis = new AnalysisSpec
        {
            IntervalSeconds = 10,
            FailureLimit = 2,
            Checks = [new CheckSpec { Name = "golden", Http = new HttpCheckSpec { Port = 8080 } }],
        };
    }

    /// <summary>v2 serving on green since the switch, blue the full-size standby; the analysis run due is answered with passing checks.</summary>
    static (Scenario World, string V2) StabilizingWithAnalysisDue()
    {
        var world = Scenario.SwitchedToV2(AfterSwitchWithAnalysis);
        var v2 = world.Status.ActiveRevision!;
        world.After(10).Plan().Step.Should().Be(new RunAnalysis(Color.Green, v2), "the analysis checks come first in a run");
        world.Analysis = world.Passed(Color.Green, v2);
        return (world, v2);
    }

    [Test]
    public void P7_Should_replay_the_serving_colour_against_the_warm_standby_in_each_analysis_run()
    {
        var (world, v2) = StabilizingWithAnalysisDue();
        var standbyHash = world.Status.StandbyPodTemplateHash;
        standbyHash.Should().NotBeNull();

        var plan = world.Decide();

        plan.Step.Should().Be(new RunReplay(Color.Green, v2, Color.Blue, world.Status.StandbyRevision, standbyHash, AfterSwitch: true),
            "the release's own replay, from before the switch, is not this run's");
        plan.Status.Analysis!.Runs.Should().Be(0, "the run is counted once its replay is in");
        plan.Status.Message.Should().Contain("replaying recorded requests against green and the standby blue");

        world.Replay = world.Replayed((RunReplay)plan.Step, passed: true);
        var recorded = world.Decide();

        recorded.Status.Analysis!.Runs.Should().Be(1);
        recorded.Status.Analysis.ConsecutiveFailures.Should().Be(0);
        recorded.Status.Analysis.Results!.Select(r => r.Name).Should().Equal("replay", "golden");
        recorded.Status.Parity!.AfterSwitch.Should().BeTrue();
        recorded.Status.Parity.Color.Should().Be("green");
        recorded.Status.Parity.ServingColor.Should().Be("blue");
        recorded.Status.Parity.ServingRevision.Should().Be(world.Status.StandbyRevision);
        recorded.Step.Should().NotBeOfType<RunReplay>();
        world.After(10).Plan().Step.Should().Be(new RunAnalysis(Color.Green, v2), "the next run starts with its checks again");
    }

    [Test]
    public void P7_Should_replay_at_the_analysis_interval_without_analysis_checks()
    {
        var world = Scenario.SwitchedToV2(spec =>
        {
            WithReplay(spec);
            spec.Replay!.AfterSwitch = true;
        });

        world.After(new AnalysisSpec().IntervalSeconds - 1).Plan().Step.Should().NotBeOfType<RunReplay>("not due yet");
        var plan = world.After(1).Decide();

        plan.Step.Should().Be(new RunReplay(Color.Green, world.Status.ActiveRevision!, Color.Blue, world.Status.StandbyRevision, world.Status.StandbyPodTemplateHash, AfterSwitch: true));
        world.Replay = world.Replayed((RunReplay)plan.Step, passed: true);
        world.Decide().Status.Analysis!.Runs.Should().Be(1);
    }

    [Test]
    public void P8_Should_count_a_failed_replay_against_the_standby_as_a_failed_analysis_run_and_roll_back_at_the_failure_limit()
    {
        const string Message = "agreement 70.7 % < 95 % on 150 requests; 44 disagreements, first: line 51";
        var (world, v2) = StabilizingWithAnalysisDue();
        world.Replay = world.Replayed((RunReplay)world.Decide().Step, passed: false, Message);

        var first = world.Decide();

        first.Status.Analysis!.ConsecutiveFailures.Should().Be(1, "the checks passed, the replay did not: the run failed");
        first.Status.Analysis.Results!.Should().ContainSingle(r => r.Name == "replay" && !r.Passed && r.Message == Message);
        first.Status.Parity!.Passed.Should().BeFalse();
        first.Status.Parity.AfterSwitch.Should().BeTrue();
        first.Events.Should().Contain(e => e.Reason == "AnalysisFailed" && e.Message.Contains("replay of green") && e.Message.Contains("against the standby blue") && e.Message.Contains(Message));
        first.Status.AbortedRevision.Should().BeNull("one failure is below the failure limit");

        world.After(10).Analysis = world.Passed(Color.Green, v2);
        world.Replay = world.Replayed((RunReplay)world.Decide().Step, passed: false, Message);
        var second = world.Plan();

        second.Status.AbortedRevision.Should().Be(v2);
        second.Status.ActiveColor.Should().Be("blue", "the standby is still at full size: the rollback is decided at once");
        second.Events.Should().Contain(e => e.Reason == "RollingBack" && e.Message.Contains("Analysis failed 2 times in a row") && e.Message.Contains(Message));
    }

    [Test]
    public void P8_Should_reset_the_failures_in_a_row_when_the_next_replay_passes()
    {
        var (world, v2) = StabilizingWithAnalysisDue();
        world.Replay = world.Replayed((RunReplay)world.Decide().Step, passed: false);
        world.Decide().Status.Analysis!.ConsecutiveFailures.Should().Be(1);

        world.After(10).Analysis = world.Passed(Color.Green, v2);
        world.Replay = world.Replayed((RunReplay)world.Decide().Step, passed: true);

        world.Decide().Status.Analysis!.ConsecutiveFailures.Should().Be(0);
    }

    [Test]
    public void P9_Should_not_replay_nor_count_a_failure_when_the_standby_has_no_ready_pod_of_its_tested_template()
    {
        var (world, _) = StabilizingWithAnalysisDue();
        world.ReplacePodHashes(Color.Blue, "h-placed");

        var plan = world.Decide();

        plan.Step.Should().NotBeOfType<RunReplay>();
        plan.Status.Analysis!.Runs.Should().Be(1, "the run is the analysis checks alone");
        plan.Status.Analysis.ConsecutiveFailures.Should().Be(0);
        plan.Status.Analysis.Results!.Select(r => r.Name).Should().Equal("golden");
    }

    [Test]
    public void P9_Should_not_count_a_replay_that_found_no_ready_standby_pod_when_it_ran()
    {
        var (world, v2) = StabilizingWithAnalysisDue();
        world.Decide().Step.Should().BeOfType<RunReplay>();
        world.Replay = new CheckReport(Color.Green, v2, [], [], null, world.Now);

        var plan = world.Decide();

        plan.Status.Analysis!.Runs.Should().Be(1);
        plan.Status.Analysis.ConsecutiveFailures.Should().Be(0, "nothing to compare is not a failure");
        plan.Status.Parity!.AfterSwitch.Should().BeFalse("status keeps the release's report: nothing was compared after the switch");
    }

    [Test]
    public void P9_Should_ask_again_at_the_next_interval_when_a_replay_alone_had_no_standby_to_compare_with()
    {
        var world = Scenario.SwitchedToV2(spec =>
        {
            WithReplay(spec);
            spec.Replay!.AfterSwitch = true;
        });
        var interval = new AnalysisSpec().IntervalSeconds;
        var step = (RunReplay)world.After(interval).Decide().Step;
        world.Replay = new CheckReport(Color.Green, step.Revision, [], [], null, world.Now);

        var plan = world.Decide();

        plan.Step.Should().NotBeOfType<RunReplay>("the replay that found no standby pod is this interval's");
        plan.Status.Analysis!.Runs.Should().Be(0, "nothing was compared");
        plan.Status.Analysis.ConsecutiveFailures.Should().Be(0);
        plan.RequeueAfter.Should().BeGreaterThan(TimeSpan.Zero);
        world.After(interval).Plan().Step.Should().Be(step, "the next interval replays again");
    }

    [Test]
    public void P9_Should_not_replay_once_stabilization_is_over()
    {
        var world = Scenario.SwitchedToV2(AfterSwitchWithAnalysis);
        world.After(world.Resource.Spec.Strategy.StabilizationSeconds + 1).Settle();

        world.Status.Phase.Should().Be(Phase.Healthy);
        world.Status.StandbyColor.Should().BeNull();
        world.After(60).Plan().Step.Should().NotBeOfType<RunReplay>("no standby is left to compare with");
    }
}
