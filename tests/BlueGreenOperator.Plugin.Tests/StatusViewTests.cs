using BlueGreenOperator.Plugin.Rendering;
using k8s.Models;

namespace BlueGreenOperator.Plugin.Tests;

public sealed class StatusViewTests
{
    private static string Render(BlueGreenDeployment item, params Corev1Event[] events) => StatusView.Render(item, events, Samples.Now);

    private static string[] Lines(string page) => page.Split('\n');

    /// <summary>The reasons the operator gives the Degraded condition: the operator's own list.</summary>
    private static readonly IReadOnlyList<string> DegradedReasons = BlueGreenOperator.Rollout.DegradedReasons.All;

    [Test]
    public void Should_render_a_paused_release_exactly()
    {
        var paused = Samples.Paused();

        Render(paused, Samples.Event(paused, "SmokeTestsPassed", "Revision 8f1e2a44: golden passed on 1 pod", TimeSpan.FromMinutes(2))).Should().Be("""
            Name:         fraud-model
            Namespace:    ml
            Model:        fraud-detector 2026-11-20 (desired, revision 8f1e2a44)
            Phase:        Paused: the new colour passed its smoke tests and waits for: kubectl bluegreen promote fraud-model
            Message:      Waiting for promote
            Actions:      kubectl bluegreen promote fraud-model, kubectl bluegreen abort fraud-model

            Colours:
              ROLE      COLOR   REVISION   MODEL VERSION   POD TEMPLATE
              active    blue    6c9d5f7b   2026-11-01      5d8b7f9c4
              preview   green   8f1e2a44   2026-11-20      7c9f6d5b8
              standby   -       -          -               -
            Last switch:  never
            Aborted:      none

            Smoke tests:  1 of 1 check passed, revision 8f1e2a44 passed on 1 pod
              CHECK    PASSED    RESULT   SLOWEST   FAILING PODS   MESSAGE
              golden   1/1 pod   passed   41ms      -              passed on 1 pods, slowest 41 ms
            Analysis:     not running
            Conditions:
              TYPE          STATUS   REASON    AGE   MESSAGE
              Ready         True     Serving   24h   blue serves with 3 available pods
              Progressing   True     Paused    2m    Waiting for promote
            Events:
              LAST SEEN   TYPE     REASON             MESSAGE
              2m          Normal   SmokeTestsPassed   Revision 8f1e2a44: golden passed on 1 pod

            """.Replace("\r\n", "\n"));
    }

    [Test]
    public void Should_show_colours_switch_and_one_row_per_check_of_a_stabilizing_release()
    {
        var lines = Lines(Render(Samples.Stabilizing()));

        lines.Should().Contain("Phase:        Stabilizing: traffic switched; analysis watches the new colour while the old one stays as warm standby");
        lines.Should().Contain("Actions:      kubectl bluegreen rollback fraud-model");
        lines.Should().ContainInOrder(
            "  ROLE      COLOR   REVISION   MODEL VERSION   POD TEMPLATE",
            "  active    green   8f1e2a44   2026-11-20      7c9f6d5b8",
            "  preview   -       -          -               -",
            "  standby   blue    6c9d5f7b   2026-11-01      5d8b7f9c4");
        lines.Should().Contain("Last switch:  2026-11-22T11:55:00Z (5m ago), Service write took 9 ms");
        lines.Should().Contain("Promoted:     2026-11-22T11:54:00Z (6m ago)");
        lines.Should().ContainInOrder(
            "Smoke tests:  2 of 2 checks passed",
            "  CHECK    PASSED     RESULT   SLOWEST   FAILING PODS   MESSAGE",
            "  ready    2/2 pods   passed   4ms       -              passed on 2 pods, slowest 4 ms",
            "  golden   2/2 pods   passed   41ms      -              passed on 2 pods, slowest 41 ms");
        lines.Should().ContainInOrder(
            "Analysis:     12 runs, 1 of 2 consecutive failures that roll back, last run 10s ago",
            "  CHECK        PASSED     RESULT   SLOWEST   FAILING PODS   MESSAGE",
            "  error-rate   -          FAILED   120ms     -              0.07 > max 0.05",
            "  golden       3/3 pods   passed   52ms      -              passed on 3 pods, slowest 52 ms");
        lines.Should().Contain("  Progressing   True     Stabilizing   9m    Switched to green");
        lines.Should().NotContain(line => line.StartsWith("What to do:", StringComparison.Ordinal), "nothing failed");
    }

    [Test]
    public void Should_name_the_first_failing_pods_and_count_the_rest_of_a_failed_smoke_test()
    {
        var lines = Lines(Render(Samples.SmokeTestsFailed()));

        lines.Should().Contain(
            "Phase:        Degraded (SmokeTestsFailed): the new revision failed its smoke tests, so it never took traffic; " +
            "it was scaled to 0 and the colour that served before (if any) keeps serving");
        lines.Should().Contain(
            "What to do:   read the failing checks and pods below, fix the model or the checks and change the spec, or kubectl bluegreen retry fraud-model");
        lines.Should().ContainInOrder(
            "Smoke tests:  1 of 2 checks passed",
            "  CHECK    PASSED     RESULT   SLOWEST   FAILING PODS                                                                             MESSAGE",
            "  ready    6/6 pods   passed   5ms       -                                                                                        passed on 6 pods, slowest 5 ms",
            "  golden   1/6 pods   FAILED   2380ms    fraud-model-green-7c9f-a, fraud-model-green-7c9f-b, fraud-model-green-7c9f-c (+2 more)   fraud-model-green-7c9f-a: output-0: got 1, want 0");
        lines.Should().Contain("Aborted:      revision 8f1e2a44, which the spec asks for: held until the spec changes or a retry");
        lines.Should().Contain("Actions:      kubectl bluegreen retry fraud-model");
    }

    [Test]
    public void Should_show_a_refused_write_during_a_release_with_the_API_servers_reason()
    {
        var lines = Lines(Render(Samples.WriteRefused()));

        lines.Should().Contain(
            "Phase:        Degraded (WriteRefused): the API server refused one of the operator's writes (quota, admission webhook, validation " +
            "or a server error; the message gives its reason); the rollout waits at that step");
        lines.Should().Contain("Message:      " + Samples.RefusedQuota);
        lines.Should().Contain(
            "What to do:   remove the cause (e.g. raise the ResourceQuota, fix the webhook or the spec); the operator retries the write with back-off");
        lines.Should().Contain("Actions:      kubectl bluegreen abort fraud-model");
        lines.Should().Contain("  preview   green   8f1e2a44   2026-11-20      -", "nothing of the new revision was tested");
    }

    [Test]
    public void Should_show_the_aborted_revision_and_offer_retry_after_a_rollback()
    {
        var lines = Lines(Render(Samples.RolledBack()));

        lines.Should().Contain("Phase:        RolledBack: traffic went back to the previous colour; the failed revision is marked aborted");
        lines.Should().Contain("Message:      Analysis failed 2 times in a row; rolled back to blue");
        lines.Should().Contain("What to do:   read the analysis results below, fix and change the spec, or kubectl bluegreen retry fraud-model to release it again");
        lines.Should().Contain("Actions:      kubectl bluegreen retry fraud-model");
        lines.Should().Contain("Aborted:      revision 8f1e2a44, which the spec asks for: held until the spec changes or a retry");
        lines.Should().Contain("  active    blue    6c9d5f7b   2026-11-01      5d8b7f9c4");
        lines.Should().ContainInOrder(
            "Analysis:     4 runs, 2 of 2 consecutive failures that roll back, last run 31s ago",
            "  CHECK    PASSED     RESULT   SLOWEST   FAILING PODS               MESSAGE",
            "  golden   2/3 pods   FAILED   12ms      fraud-model-green-7c9f-a   fraud-model-green-7c9f-a: output-0: got 1, want 0");
        lines.Should().Contain("  Degraded   True     RolledBack   30s   Analysis failed 2 times in a row; rolled back to blue");
        lines.Should().Contain("Smoke tests:  none recorded");
    }

    [Test]
    public void Should_say_the_spec_moved_on_from_an_aborted_revision_and_offer_no_retry()
    {
        var movedOn = Samples.RolledBack();
        movedOn.Status!.CurrentRevision = "9a0b1c2d";

        var lines = Lines(Render(movedOn));

        lines.Should().Contain("Model:        fraud-detector 2026-11-20 (desired, revision 9a0b1c2d)");
        lines.Should().Contain("Aborted:      revision 8f1e2a44; the spec has moved on to revision 9a0b1c2d");
        lines.Should().Contain("Actions:      none apply now");
    }

    [Test]
    public void Should_name_the_invalid_spec_next_to_a_degraded_phase_and_offer_no_action()
    {
        var lines = Lines(Render(Samples.InvalidSpec()));

        lines.Should().Contain("Phase:        Degraded (InvalidSpec): the spec breaks a rule the API server cannot check; no workload was changed");
        lines.Should().Contain("Message:      Invalid spec: strategy.standbyReplicas (5) must not exceed replicas (3)");
        lines.Should().Contain("What to do:   fix the spec as the message says and apply it again");
        lines.Should().Contain("Actions:      none apply now");
        lines.Should().Contain("Last switch:  never");
        lines.Should().Contain("  Degraded   True     InvalidSpec   60s   Invalid spec: strategy.standbyReplicas (5) must not exceed replicas (3)");
    }

    [Test]
    public void Should_show_a_failed_parity_report_beside_the_serving_colours_measures_and_its_first_disagreements()
    {
        var failed = Samples.InvalidSpec();
        failed.Status!.Parity = new ParityStatus
        {
            Revision = "9a0b1c2d", Color = "green", ServingRevision = "8f1e2a44", ServingColor = "blue", Passed = false,
            Requests = 150, Compared = 150, Disagreements = 100, Agreement = 0.3333, Labelled = 150, Accuracy = 0.3467, ServingAccuracy = 0.9867,
            ErrorRate = 0, ServingErrorRate = 0, LatencyP50Ms = 12.4, LatencyP95Ms = 119.6, ServingLatencyP50Ms = 11.9, ServingLatencyP95Ms = 118.8, LatencyRatio = 1.007,
            Message = "agreement 33.3 % < 95 % on 150 requests",
            FirstDisagreements = ["line 1: 2 vs 0", "line 2: 2 vs 0", "line 3: 0 vs 1", "line 4: 0 vs 1"],
        };

        var lines = Lines(Render(failed));

        lines.Should().Contain("Parity:       FAILED: revision 9a0b1c2d (green) against revision 8f1e2a44 (blue)");
        lines.Should().Contain(l => l.StartsWith("  agreement ", StringComparison.Ordinal) && l.Contains("33.3 %", StringComparison.Ordinal));
        lines.Should().Contain(l => l.StartsWith("  accuracy ", StringComparison.Ordinal) && l.Contains("34.7 % of 150 labelled", StringComparison.Ordinal) && l.EndsWith("98.7 %", StringComparison.Ordinal));
        lines.Should().Contain(l => l.StartsWith("  latency p95 ", StringComparison.Ordinal) && l.Contains("119.6 ms (ratio 1.01)", StringComparison.Ordinal) && l.EndsWith("118.8 ms", StringComparison.Ordinal));
        lines.Should().Contain("  agreement 33.3 % < 95 % on 150 requests");
        lines.Should().Contain("  - line 3: 0 vs 1").And.NotContain("  - line 4: 0 vs 1");
    }

    [Test]
    public void Should_say_a_first_release_has_nothing_to_compare_with_and_print_no_parity_without_a_report()
    {
        Lines(Render(Samples.InvalidSpec())).Should().NotContain(l => l.StartsWith("Parity:", StringComparison.Ordinal));

        var first = Samples.InvalidSpec();
        first.Status!.Parity = new ParityStatus { Revision = "9a0b1c2d", Color = "blue", Passed = true, Requests = 10, Compared = 0, Labelled = 0 };

        var lines = Lines(Render(first));

        lines.Should().Contain("Parity:       passed: revision 9a0b1c2d (blue) (first release: nothing served to compare with)");
        lines.Should().Contain(l => l.StartsWith("  accuracy ", StringComparison.Ordinal) && l.Contains("no expected outputs", StringComparison.Ordinal));
    }

    [TestCaseSource(nameof(DegradedReasons))]
    public void Should_tell_the_person_on_call_what_each_degraded_reason_means_and_what_to_do(string reason)
    {
        var degraded = Samples.InvalidSpec();
        degraded.Status!.Conditions![1].Reason = reason;

        var lines = Lines(Render(degraded));

        PhaseMeaning.DegradedReasons.Should().ContainKey(reason);
        var meaning = PhaseMeaning.DegradedReasons[reason];
        lines.Should().Contain($"Phase:        Degraded ({reason}): {meaning.Meaning}");
        lines.Should().Contain($"What to do:   {meaning.ToDo("fraud-model")}");
    }

    [Test]
    public void Should_know_exactly_the_degraded_reasons_of_the_operator_and_say_each_differently()
    {
        PhaseMeaning.DegradedReasons.Keys.Should().BeEquivalentTo(DegradedReasons);
        PhaseMeaning.DegradedReasons.Values.Select(m => m.Meaning).Should().OnlyHaveUniqueItems();
        PhaseMeaning.DegradedReasons.Values.Select(m => m.ToDo("fraud-model")).Should().OnlyHaveUniqueItems();
    }

    [Test]
    public void Should_point_at_message_conditions_and_events_for_a_reason_it_does_not_know()
    {
        var degraded = Samples.InvalidSpec();
        degraded.Status!.Conditions![1].Reason = "SomethingNew";

        var lines = Lines(Render(degraded));

        lines.Should().Contain("Phase:        Degraded (SomethingNew): something failed; the message, the conditions and the events below say what");
        lines.Should().NotContain(line => line.StartsWith("What to do:", StringComparison.Ordinal));
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
