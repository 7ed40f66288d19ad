using BlueGreenOperator.Api;
using BlueGreenOperator.Checks.Replay;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Checks.Replay;

/// <summary>The arithmetic of parity: how outputs agree, and the report of a replay against its thresholds.</summary>
[TestFixture]
public sealed class ParityComparisonTests
{
    static OutputComparisonSpec Rule(string mode, double tolerance = 0, int? classes = null) =>
        new() { Output = "probabilities", Mode = mode, Tolerance = tolerance, Classes = classes };

    static ReplaySpec Spec(Action<ReplaySpec>? edit = null)
    {
        var spec = new ReplaySpec { Port = 8080, Model = "iris", Compare = [new OutputComparisonSpec { Output = "output-0" }] };
        edit?.Invoke(spec);
        return spec;
    }

    static ReplayAnswer Class(long value, double ms = 5) => new(new Dictionary<string, double[]> { ["output-0"] = [value] }, null, ms);

    static ReplayLine Line(int number, long? expected = null) =>
        new(number, [], expected is { } e ? new Dictionary<string, double[]> { ["output-0"] = [e] } : null);

    /// <summary>n lines where the new and the serving colour answer the given classes; the expected class is the serving one.</summary>
    static List<ReplayOutcome> Outcomes(int count, Func<int, long> fresh, Func<int, long> serving, bool labelled = true, double newMs = 5, double servingMs = 5) =>
        [.. Enumerable.Range(1, count).Select(i => new ReplayOutcome(Line(i, labelled ? serving(i) : null), Class(fresh(i), newMs), Class(serving(i), servingMs)))];

    [Test]
    public void Should_agree_exactly_only_on_equal_values()
    {
        ParityComparison.Agree(Rule(ComparisonModes.Exact), [0.5, 0.25], [0.5, 0.25]).Should().BeTrue();
        ParityComparison.Agree(Rule(ComparisonModes.Exact), [0.5, 0.25], [0.5, 0.2500001]).Should().BeFalse();
        ParityComparison.Agree(Rule(ComparisonModes.Exact), [0.5], [0.5, 0.25]).Should().BeFalse("a different length is a different answer");
    }

    [Test]
    public void Should_agree_within_a_tolerance_inclusive_and_not_beyond_it()
    {
        var rule = Rule(ComparisonModes.Tolerance, 0.01);

        ParityComparison.Agree(rule, [0.50, 0.30], [0.509, 0.291]).Should().BeTrue();
        ParityComparison.Agree(rule, [0.5], [0.5 + 0.0101]).Should().BeFalse();
        ParityComparison.Agree(Rule(ComparisonModes.Exact, 0.5), [0.5], [0.6]).Should().BeFalse("a tolerance applies in tolerance mode only");
    }

    [Test]
    public void Should_agree_on_the_argmax_class_of_each_row()
    {
        var rule = Rule(ComparisonModes.ArgMax, classes: 3);

        // v1 and v2 of the iris example on the same two flowers: the probabilities differ, the classes agree.
        ParityComparison.Agree(rule, [0.99, 0.01, 0.0, 0.1, 0.6, 0.3], [0.9, 0.09, 0.01, 0.2, 0.5, 0.3]).Should().BeTrue();
        ParityComparison.Agree(rule, [0.99, 0.01, 0.0, 0.1, 0.3, 0.6], [0.9, 0.09, 0.01, 0.2, 0.5, 0.3]).Should().BeFalse("the second row's class differs");
        ParityComparison.ArgMaxes([0.2, 0.7, 0.1, 0.5, 0.1, 0.4], 3).Should().Equal(1, 0);
        ParityComparison.ArgMaxes([0.2, 0.7, 0.1, 0.5], 3).Should().BeNull("4 values are no rows of 3");
        ParityComparison.ArgMaxes([0.2, 0.7, 0.1], null).Should().Equal(1);
    }

    [Test]
    public void Should_never_agree_on_NaN_or_a_missing_output()
    {
        ParityComparison.Agree(Rule(ComparisonModes.Exact), [double.NaN], [double.NaN]).Should().BeFalse();
        ParityComparison.Agree(Rule(ComparisonModes.Tolerance, 1e9), [double.NaN], [0]).Should().BeFalse();
        ParityComparison.Agree(Rule(ComparisonModes.ArgMax, classes: 2), [double.NaN, 0.5], [0.1, 0.5]).Should().BeFalse();
        ParityComparison.Agree(Rule(ComparisonModes.Exact), null, [0]).Should().BeFalse();
        ParityComparison.Agree(Rule(ComparisonModes.Exact), null, null).Should().BeFalse();
    }

    [Test]
    public void Should_compare_every_output_exactly_when_the_spec_names_none()
    {
        var spec = Spec(s => s.Compare = null);
        var a = new Dictionary<string, double[]> { ["output-0"] = [1], ["probabilities"] = [0.1, 0.9] };
        var b = new Dictionary<string, double[]> { ["output-0"] = [1], ["probabilities"] = [0.1, 0.8] };

        ParityComparison.AgreeAll(spec, a, b).Should().BeFalse();
        ParityComparison.AgreeAll(spec, a, a).Should().BeTrue();
        ParityComparison.AgreeAll(spec, a, new Dictionary<string, double[]> { ["output-0"] = [1] }).Should().BeFalse("an output one side lacks disagrees");
    }

    [Test]
    public void Should_pass_two_disagreements_in_150_under_a_95_percent_bound_and_report_every_number()
    {
        // The iris example: v1 and v2 disagree on rows 71 and 134.
        var outcomes = Outcomes(150, i => i is 71 or 134 ? 1 : i % 3, i => i % 3, newMs: 8, servingMs: 6);

        var report = ParityComparison.Evaluate(Spec(s => s.MinAgreement = 0.95), outcomes, "rev2", "h2", "rev1");

        report.Passed.Should().BeTrue(report.Message);
        report.Requests.Should().Be(150);
        report.Compared.Should().Be(150);
        report.Disagreements.Should().BeLessThanOrEqualTo(2);
        report.Agreement.Should().BeGreaterThanOrEqualTo(0.9866);
        report.ErrorRate.Should().Be(0);
        report.ServingErrorRate.Should().Be(0);
        report.LatencyP50Ms.Should().Be(8);
        report.ServingLatencyP95Ms.Should().Be(6);
        report.LatencyRatio.Should().Be(1, "both are under the 20 ms floor");
        report.Message.Should().StartWith("agreement 98.7 % on 150 requests");
        (report.Revision, report.PodTemplateHash, report.ServingRevision).Should().Be(("rev2", "h2", "rev1"));
    }

    [Test]
    public void Should_fail_low_agreement_with_a_message_naming_the_rate_the_bound_the_count_and_the_first_line()
    {
        var outcomes = Outcomes(500, i => i % 11 == 6 ? 2 : 1, _ => 1, labelled: false);

        var report = ParityComparison.Evaluate(Spec(s => s.MinAgreement = 0.95), outcomes, "rev2", "h2", "rev1");

        report.Passed.Should().BeFalse();
        report.Disagreements.Should().Be(45);
        report.Message.Should().Be("agreement 91 % < 95 % on 500 requests; 45 disagreements, first: line 6");
        report.FirstDisagreements.Should().Equal(
            "line 6: new output-0 [2]; serving output-0 [1]",
            "line 17: new output-0 [2]; serving output-0 [1]",
            "line 28: new output-0 [2]; serving output-0 [1]");
    }

    [Test]
    public void Should_fail_an_accuracy_drop_beyond_the_bound_and_allow_one_within_it()
    {
        // Serving right on every line; the new colour wrong on every third.
        var outcomes = Outcomes(150, i => i % 3 == 0 ? 9 : 1, _ => 1);

        var strict = ParityComparison.Evaluate(Spec(s => s.MaxAccuracyDrop = 0.02), outcomes, "rev2", null, "rev1");
        var loose = ParityComparison.Evaluate(Spec(s => s.MaxAccuracyDrop = 0.34), outcomes, "rev2", null, "rev1");

        strict.Passed.Should().BeFalse();
        strict.Accuracy.Should().Be(0.6667);
        strict.ServingAccuracy.Should().Be(1);
        strict.Labelled.Should().Be(150);
        strict.Message.Should().Be("accuracy 66.7 % vs serving 100 %: a drop of 33.3 % > 2 %, first: line 3");
        loose.Passed.Should().BeTrue(loose.Message);
    }

    [Test]
    public void Should_count_a_failed_answer_as_an_error_and_as_wrong_but_not_in_agreement()
    {
        var outcomes = Outcomes(10, _ => 1, _ => 1);
        outcomes[4] = outcomes[4] with { New = ReplayAnswer.Failed("green-0: status 500, expected 200; body: {\"error\":\"injected\"}", 3) };

        var report = ParityComparison.Evaluate(Spec(s => s.MinAgreement = 1), outcomes, "rev2", null, "rev1");

        report.Compared.Should().Be(9);
        report.Agreement.Should().Be(1);
        report.ErrorRate.Should().Be(0.1);
        report.Accuracy.Should().Be(0.9);
        report.Passed.Should().BeFalse();
        report.Message.Should().Be("error rate 10 % > 0 %: 1 of 10 requests failed, first: line 5");
        report.FirstDisagreements.Should().Equal("line 5: new failed: green-0: status 500, expected 200; body: {\"error\":\"injected\"}; serving output-0 [1]; expected output-0 [1]");
    }

    [Test]
    public void Should_fail_a_p95_latency_ratio_over_the_bound_and_measure_it_above_the_floor()
    {
        var slow = Outcomes(100, i => i % 3, i => i % 3, newMs: 410, servingMs: 4);
        var noise = Outcomes(100, i => i % 3, i => i % 3, newMs: 12, servingMs: 2);

        var report = ParityComparison.Evaluate(Spec(s => s.MaxLatencyRatio = 3), slow, "rev2", null, "rev1");

        report.Passed.Should().BeFalse();
        report.LatencyRatio.Should().Be(20.5, "410 ms against the 20 ms floor");
        report.Message.Should().Be("p95 latency 410 ms vs serving 4 ms: ratio 20.5 > 3 (p50 410 ms vs 4 ms)");
        ParityComparison.Evaluate(Spec(s => s.MaxLatencyRatio = 3), noise, "rev2", null, "rev1").Passed.Should().BeTrue("12 ms against 2 ms is under the floor");
    }

    [Test]
    public void Should_measure_only_the_expected_outputs_and_errors_when_nothing_serves()
    {
        var outcomes = Enumerable.Range(1, 150).Select(i => new ReplayOutcome(Line(i, i % 3), Class(i <= 50 ? i % 3 : 9), null)).ToList();

        var report = ParityComparison.Evaluate(Spec(s => { s.MinAgreement = 0.95; s.MaxLatencyRatio = 2; s.MinAccuracy = 0.9; }), outcomes, "rev1", "h1", null);

        report.ServingRevision.Should().BeNull();
        report.Agreement.Should().BeNull("parity is skipped on a first release");
        report.LatencyRatio.Should().BeNull();
        report.ServingAccuracy.Should().BeNull();
        report.Accuracy.Should().Be(0.3333);
        report.Passed.Should().BeFalse();
        report.Message.Should().Be("accuracy 33.3 % < 90 % on 150 labelled requests; 100 wrong, first: line 51");
    }

    [Test]
    public void Should_fail_an_empty_replay_and_an_accuracy_bound_without_labels()
    {
        ParityComparison.Evaluate(Spec(), [], "rev2", null, "rev1").Should().BeEquivalentTo(new { Passed = false, Requests = 0, Message = "the replay sent no request: the data set is empty" });

        var unlabelled = ParityComparison.Evaluate(Spec(s => s.MaxAccuracyDrop = 0.01), Outcomes(5, _ => 1, _ => 1, labelled: false), "rev2", null, "rev1");
        unlabelled.Passed.Should().BeFalse();
        unlabelled.Message.Should().Be("accuracy cannot be measured: no line of the data set carries an expected output");
    }

    [Test]
    public void Should_fail_agreement_when_no_line_was_answered_by_both_colours()
    {
        var outcomes = Outcomes(3, _ => 1, _ => 1, labelled: false)
            .Select(o => o with { Serving = ReplayAnswer.Failed("no ready serving pod", 0) }).ToList();

        var report = ParityComparison.Evaluate(Spec(s => s.MinAgreement = 0.5), outcomes, "rev2", null, "rev1");

        report.Passed.Should().BeFalse();
        report.ServingErrorRate.Should().Be(1);
        report.Message.Should().Be("no line was answered by both colours, agreement cannot be measured (min 50 %)");
    }

    [Test]
    public void Should_join_every_missed_threshold_in_one_message_of_bounded_length()
    {
        var outcomes = Outcomes(200, _ => 2, _ => 1, newMs: 900, servingMs: 3);
        outcomes[0] = outcomes[0] with { New = ReplayAnswer.Failed(new string('x', 2000), 1) };

        var report = ParityComparison.Evaluate(Spec(s => { s.MinAgreement = 0.95; s.MaxAccuracyDrop = 0.05; s.MaxLatencyRatio = 2; }), outcomes, "rev2", null, "rev1");

        report.Message.Should().Contain("agreement 0 % < 95 %").And.Contain("accuracy 0 % vs serving 100 %").And.Contain("error rate 0.5 %").And.Contain("ratio 45 > 2");
        report.Message!.Length.Should().BeLessThanOrEqualTo(1024);
        report.FirstDisagreements.Should().HaveCount(3).And.OnlyContain(d => d.Length <= 256);
    }
}
