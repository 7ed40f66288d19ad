using BlueGreenOperator.Plugin.Rendering;
using k8s.Models;

namespace BlueGreenOperator.Plugin.Tests;

public sealed class StatusViewTests
{
    private static string Render(BlueGreenDeployment item, params Corev1Event[] events) => StatusView.Render(item, events, Samples.Now);

    private static string[] Lines(string page) => page.Split('\n');

    [Test]
    public void Should_render_a_paused_release_exactly()
    {
        var paused = Samples.Paused();

        Render(paused, Samples.Event(paused, "SmokeTestsPassed", "1 pod passed 1 check", TimeSpan.FromMinutes(2))).Should().Be("""
            Name:         fraud-model
            Namespace:    ml
            Model:        fraud-detector 2026-11-20 (desired)
            Phase:        Paused: the new colour passed its smoke tests and waits for: kubectl bluegreen promote fraud-model
            Message:      Waiting for promote
            Actions:      kubectl bluegreen promote fraud-model, kubectl bluegreen abort fraud-model

            Colours:
              ROLE      COLOR   REVISION   MODEL VERSION
              active    blue    6c9d5f7b   2026-11-01
              preview   green   8f1e2a44   2026-11-20
              standby   -       -          -
            Last switch:  never
            Aborted:      none

            Smoke tests:  1 passed, 0 failed, revision 8f1e2a44 passed on 1 pod
              TEST     POD                        RESULT   LATENCY   MESSAGE
              golden   fraud-model-green-7c9f-a   passed   41ms      -
            Analysis:     not running
            Conditions:
              TYPE          STATUS   REASON    AGE   MESSAGE
              Ready         True     Serving   24h   blue serves with 3 available pods
              Progressing   True     Paused    2m    Waiting for promote
            Events:
              LAST SEEN   TYPE     REASON             MESSAGE
              2m          Normal   SmokeTestsPassed   1 pod passed 1 check

            """.Replace("\r\n", "\n"));
    }

    [Test]
    public void Should_show_colours_switch_smoke_tests_and_analysis_of_a_stabilizing_release()
    {
        var lines = Lines(Render(Samples.Stabilizing()));

        lines.Should().Contain("Phase:        Stabilizing: traffic switched; analysis watches the new colour while the old one stays as warm standby");
        lines.Should().Contain("Actions:      kubectl bluegreen rollback fraud-model");
        lines.Should().ContainInOrder(
            "  ROLE      COLOR   REVISION   MODEL VERSION",
            "  active    green   8f1e2a44   2026-11-20",
            "  preview   -       -          -",
            "  standby   blue    6c9d5f7b   2026-11-01");
        lines.Should().Contain("Last switch:  2026-11-22T11:55:00Z (5m ago), Service write took 9 ms");
        lines.Should().ContainInOrder(
            "Smoke tests:  4 passed, 0 failed, revision 8f1e2a44 passed on 2 pods",
            "  TEST     POD                        RESULT   LATENCY   MESSAGE",
            "  ready    fraud-model-green-7c9f-a   passed   3ms       -",
            "  golden   fraud-model-green-7c9f-a   passed   41ms      -",
            "  ready    fraud-model-green-7c9f-b   passed   4ms       -",
            "  golden   fraud-model-green-7c9f-b   passed   38ms      -");
        lines.Should().ContainInOrder(
            "Analysis:     12 runs, 1 of 2 consecutive failures that roll back, last run 10s ago",
            "  CHECK        POD   RESULT   LATENCY   MESSAGE",
            "  error-rate   -     FAILED   120ms     0.07 > max 0.05");
        lines.Should().Contain("  Progressing   True     Stabilizing   9m    Switched to green");
    }

    [Test]
    public void Should_show_the_aborted_revision_and_offer_retry_after_a_rollback()
    {
        var lines = Lines(Render(Samples.RolledBack()));

        lines.Should().Contain("Phase:        RolledBack: traffic went back to the previous colour; the failed revision is marked aborted");
        lines.Should().Contain("Message:      Analysis failed 2 times in a row; rolled back to blue");
        lines.Should().Contain("Actions:      kubectl bluegreen retry fraud-model");
        lines.Should().Contain("Aborted:      revision 8f1e2a44 (not retried until the spec changes or a retry)");
        lines.Should().Contain("  active    blue    6c9d5f7b   2026-11-01");
        lines.Should().Contain("Analysis:     4 runs, 2 of 2 consecutive failures that roll back, last run 31s ago");
        lines.Should().Contain("  golden   fraud-model-green-7c9f-a   FAILED   12ms      output-0: got 1, want 0");
        lines.Should().Contain("  Degraded   True     RolledBack   30s   Analysis failed 2 times in a row; rolled back to blue");
        lines.Should().Contain("Smoke tests:  none recorded");
    }

    [Test]
    public void Should_name_the_invalid_spec_next_to_a_degraded_phase_and_offer_no_action()
    {
        var lines = Lines(Render(Samples.InvalidSpec()));

        lines.Should().Contain("Phase:        Degraded (InvalidSpec): the spec is invalid; no workload was changed until it is fixed");
        lines.Should().Contain("Message:      Invalid spec: strategy.standbyReplicas (5) must not exceed replicas (3)");
        lines.Should().Contain("Actions:      none apply now");
        lines.Should().Contain("Last switch:  never");
        lines.Should().Contain("  Degraded   True     InvalidSpec   60s   Invalid spec: strategy.standbyReplicas (5) must not exceed replicas (3)");
    }

    [Test]
    public void Should_tell_a_failed_release_from_an_invalid_spec()
    {
        var aborted = Samples.InvalidSpec();
        aborted.Status!.Conditions![1].Reason = "ReleaseAborted";

        Lines(Render(aborted)).Should().Contain("Phase:        Degraded (ReleaseAborted): the release failed before any switch; the active colour keeps serving");
    }

    [Test]
    public void Should_say_when_the_operator_has_not_reconciled_the_object_yet()
    {
        var lines = Lines(Render(Samples.Object()));

        lines.Should().Contain("Phase:        <none>: not reconciled yet; is the operator running and watching this namespace?");
        lines.Should().Contain("Conditions:   none");
        lines.Should().Contain("Events:       none");
    }

    [Test]
    public void Should_show_the_ten_most_recent_events_of_this_object_only_oldest_first()
    {
        var item = Samples.Stabilizing();
        var own = Enumerable.Range(1, 12).Select(minutes => Samples.Event(item, $"Step{minutes}", $"step {minutes}", TimeSpan.FromMinutes(minutes))).ToList();
        var otherObject = Samples.Event(Samples.Object("other-model"), "Foreign", "about another object", TimeSpan.Zero);
        var previousIncarnation = Samples.Event(item, "Stale", "about a deleted object of the same name", TimeSpan.Zero);
        previousIncarnation.InvolvedObject.Uid = "some-older-uid";
        var deployment = Samples.Event(item, "ScalingReplicaSet", "about the Deployment", TimeSpan.Zero);
        deployment.InvolvedObject.Kind = "Deployment";

        var recent = StatusView.RecentEvents(item, [.. own, otherObject, previousIncarnation, deployment]);

        recent.Select(e => e.Reason).Should().Equal(Enumerable.Range(1, 10).Reverse().Select(minutes => $"Step{minutes}"));
    }

    [Test]
    public void Should_count_repeated_events_and_keep_messages_on_one_line()
    {
        var item = Samples.Stabilizing();
        var repeated = Samples.Event(item, "AnalysisFailed", "error-rate 0.07\nabove 0.05", TimeSpan.FromSeconds(10), type: "Warning", count: 3);

        Lines(Render(item, repeated)).Should().Contain("  10s (x3)    Warning   AnalysisFailed   error-rate 0.07 above 0.05");
    }
}
