using BlueGreenOperator.Plugin.Dashboard;

namespace BlueGreenOperator.Plugin.Tests.Dashboard;

/// <summary>What the dashboard shows of one object: a pure function of the object, its events and the phases seen.</summary>
public sealed class DashboardViewTests
{
    [Test]
    public void Should_show_a_paused_release_with_serving_and_tested_colours_and_the_actions_of_the_table()
    {
        var row = DashboardView.Row(Samples.Paused());

        row.Should().BeEquivalentTo(new
        {
            Key = "ml/fraud-model",
            Phase = Phase.Paused,
            ActiveColor = "blue",
            ActiveVersion = "2026-11-01",
            PreviewColor = "green",
            PreviewVersion = "2026-11-20",
            PreviewRevision = "8f1e2a44",
            StandbyColor = (string?)null,
        });
        row.Actions.Should().Equal(RolloutAction.Promote, RolloutAction.Abort);
    }

    [Test]
    public void Should_offer_only_rollback_while_stabilizing_and_say_why_the_others_do_not_apply()
    {
        var detail = DashboardView.Detail(Samples.Stabilizing(), [], []);

        detail.Actions.Where(a => a.Applies).Select(a => a.Verb).Should().Equal(RolloutAction.Rollback);
        detail.Actions.Single(a => a.Verb == RolloutAction.Promote).Explanation.Should().Be(
            Applicability.Of(RolloutAction.Promote, Samples.Stabilizing().Status).Reason, "the page explains in the command line's words");
    }

    [Test]
    public void Should_put_the_phases_seen_and_the_milestones_of_status_on_one_timeline_in_time_order()
    {
        var stabilizing = Samples.Stabilizing();
        PhaseSeen[] seen =
        [
            new(Phase.Paused, Samples.Ago(TimeSpan.FromMinutes(8))),
            new(Phase.Promoting, Samples.Ago(TimeSpan.FromMinutes(5.5))),
            new(Phase.Stabilizing, Samples.Ago(TimeSpan.FromMinutes(4))),
        ];

        var timeline = DashboardView.Timeline(stabilizing.Status, seen);

        timeline.Select(e => (e.Kind, e.Text)).Should().Equal(
            ("phase", Phase.Paused),
            ("milestone", "promoted"),
            ("phase", Phase.Promoting),
            ("milestone", "switched traffic to green (Service write took 9 ms)"),
            ("phase", Phase.Stabilizing));
    }

    [Test]
    public void Should_mark_the_start_of_a_rollback_on_the_timeline()
    {
        var status = new BlueGreenDeploymentStatus { ActiveColor = "blue", RollbackStartedAt = Samples.Ago(TimeSpan.FromMinutes(1)) };

        DashboardView.Timeline(status, []).Should().ContainSingle().Which.Text.Should().Be("rollback to blue started");
    }

    [Test]
    public void Should_list_smoke_test_and_analysis_results_per_check_with_the_failing_pods()
    {
        var status = Samples.Stabilizing().Status!;
        status.SmokeTests = [Samples.Failed("golden", 3, 1, 80, "predicted setosa, expected virginica", "iris-green-abc")];

        var checks = DashboardView.Checks(status);

        checks.Should().Equal(
            new CheckRow("smoke tests", "golden", false, "2/3", 80, "iris-green-abc", "predicted setosa, expected virginica"),
            new CheckRow("analysis", "error-rate", false, null, 120, null, "0.07 > max 0.05"),
            new CheckRow("analysis", "golden", true, "3/3", 52, null, "passed on 3 pods, slowest 52 ms"));
    }

    [Test]
    public void Should_list_the_warm_up_of_each_pod_of_the_new_colour_and_of_the_standby()
    {
        var status = new BlueGreenDeploymentStatus
        {
            Warmup = new WarmupStatus { Color = "green", Pods = [new PodWarmupStatus { Name = "iris-green-1", Requests = 20, Failed = 1, FirstLatencyMs = 300, LastLatencyMs = 12 }] },
            StandbyWarmup = new WarmupStatus { Color = "blue", Pods = [new PodWarmupStatus { Name = "iris-blue-1", Requests = 5, FirstLatencyMs = 40, LastLatencyMs = 9 }] },
        };

        DashboardView.Warmup(status).Should().Equal(
            new WarmupRow("warm-up of green", "iris-green-1", 20, 1, 300, 12),
            new WarmupRow("warm-up of standby blue", "iris-blue-1", 5, 0, 40, 9));
    }

    [Test]
    public void Should_carry_the_parity_report_and_only_the_objects_own_events_newest_last()
    {
        var paused = Samples.Paused();
        paused.Status!.Parity = new ParityStatus { Revision = "8f1e2a44", Passed = true, Requests = 150, Compared = 150, Agreement = 0.99 };
        var other = Samples.Object("other-model");

        var detail = DashboardView.Detail(paused,
            [
                Samples.Event(paused, "SmokeTestsPassed", "golden passed", TimeSpan.FromMinutes(2)),
                Samples.Event(other, "NotMine", "another object", TimeSpan.FromMinutes(1)),
                Samples.Event(paused, "PausedForPromotion", "waiting", TimeSpan.FromMinutes(1)),
            ],
            []);

        detail.Parity!.Agreement.Should().Be(0.99);
        detail.Events.Select(e => e.Reason).Should().Equal("SmokeTestsPassed", "PausedForPromotion");
        detail.Meaning.Should().Contain("waits for");
    }
}
