using System.Text.Json;
using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Checks.Replay;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Checks.Probing;

namespace BlueGreenOperator.Tests.Checks.Replay;

/// <summary>
/// Replays against a real local OIP v2 model server: the new colour's pods are reached on 127.0.0.1, the serving
/// colour's on ::ffff:127.0.0.1, so that each colour can be told to answer differently.
/// </summary>
[TestFixture]
public sealed class ReplayRunnerTests : AgainstModelServer
{
    const string ServingIP = "::ffff:127.0.0.1";

    static string Line(double first, int expected) =>
        $$$"""{"request":{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[{{{first}}},3.5,1.4,0.2]}]},"expected":{"output-0":[{{{expected}}}]}}""";

    ReplaySpec Spec(int lines, Action<ReplaySpec>? edit = null)
    {
        var spec = new ReplaySpec
        {
            Lines = [.. Enumerable.Range(0, lines).Select(i => Line(4 + (i / 10.0), 0))],
            Port = Model.Port,
            Model = ModelServer.Model,
            Compare = [new OutputComparisonSpec { Output = "output-0" }],
            MinAgreement = 0.95,
            MaxAccuracyDrop = 0.02,
            MaxLatencyRatio = 3,
        };
        edit?.Invoke(spec);
        return spec;
    }

    static Task<CheckReport> ReplayAsync(ReplaySpec spec, IReadOnlyList<CheckTarget> serving, string? servingRevision = "rev-serving", bool afterSwitch = false) =>
        new ReplayRunner(Client, new KubernetesReplayData(new k8s.Kubernetes(new k8s.KubernetesClientConfiguration { Host = "http://127.0.0.1:1" })), NullLogger<ReplayRunner>.Instance)
            .RunAsync(new CheckRun(Namespace, CheckKind.Replay, Color.Green, Revision, Pods(2), [])
            {
                Replay = new ReplayRequest(spec, servingRevision, serving, servingRevision is null ? null : Color.Blue, afterSwitch),
            }, CancellationToken.None);

    [Test]
    public async Task Should_send_every_sampled_line_to_both_colours_and_pass_when_they_agree()
    {
        var report = await ReplayAsync(Spec(20, s => s.SampleSize = 10), Pods(1, ServingIP));

        report.Passed.Should().BeTrue(report.Summary);
        report.Parity!.Requests.Should().Be(10);
        report.Parity.Compared.Should().Be(10);
        report.Parity.Agreement.Should().Be(1);
        report.Parity.Accuracy.Should().Be(1);
        report.Parity.ServingAccuracy.Should().Be(1);
        report.Parity.ServingRevision.Should().Be("rev-serving");
        report.Parity.LatencyP95Ms.Should().NotBeNull();
        report.Pods.Should().Equal("fraud-model-green-0", "fraud-model-green-1");
        Model.InferRequests.Should().Be(20, "each of the 10 sampled lines goes to both colours");
        var sent = Model.Received.Where(r => r.Method == "POST").Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("inputs")[0].GetProperty("data")[0].GetDouble());
        sent.Order().Should().Equal(new[] { 4.0, 4.0, 4.2, 4.2, 4.4, 4.4, 4.6, 4.6, 4.8, 4.8, 5.0, 5.0, 5.2, 5.2, 5.4, 5.4, 5.6, 5.6, 5.8, 5.8 }, "every second line, to both colours");
        Model.Received.Where(r => r.Method == "POST").Should().OnlyContain(r => r.PathAndQuery == "/v2/models/iris/infer");
    }

    [Test]
    public async Task Should_fail_with_a_readable_report_when_the_new_colour_predicts_another_class()
    {
        Model.Behaviour = new ModelBehaviour { Prediction = [2] };
        Model.For(ServingIP, new ModelBehaviour { Prediction = [0] });

        var report = await ReplayAsync(Spec(10), Pods(1, ServingIP));

        report.Passed.Should().BeFalse();
        report.Parity!.Agreement.Should().Be(0);
        report.Parity.Accuracy.Should().Be(0);
        report.Parity.ServingAccuracy.Should().Be(1);
        report.Parity.Message.Should().StartWith("agreement 0 % < 95 % on 10 requests; 10 disagreements, first: line 1; accuracy 0 % vs serving 100 %");
        report.Parity.FirstDisagreements![0].Should().Be("line 1: new output-0 [2]; serving output-0 [0]; expected output-0 [0]");
        report.Results.Should().ContainSingle().Which.Message.Should().Be(report.Parity.Message);
    }

    [Test]
    public async Task Should_fail_when_the_new_colour_is_slower_than_the_latency_ratio_allows()
    {
        Model.Behaviour = new ModelBehaviour { Delay = TimeSpan.FromMilliseconds(200) };
        Model.For(ServingIP, new ModelBehaviour());

        var report = await ReplayAsync(Spec(8), Pods(1, ServingIP));

        report.Passed.Should().BeFalse();
        report.Parity!.Agreement.Should().Be(1);
        report.Parity.LatencyP95Ms.Should().BeGreaterThanOrEqualTo(200);
        report.Parity.LatencyRatio.Should().BeGreaterThan(3);
        report.Parity.Message.Should().StartWith("p95 latency ");
    }

    [Test]
    public async Task Should_count_failed_answers_of_the_new_colour_as_errors()
    {
        Model.Behaviour = new ModelBehaviour { Status = 500, RawBody = """{"error":"injected"}""" };
        Model.For(ServingIP, new ModelBehaviour());

        var report = await ReplayAsync(Spec(4, s => s.MinAgreement = null), Pods(1, ServingIP));

        report.Passed.Should().BeFalse();
        report.Parity!.ErrorRate.Should().Be(1);
        report.Parity.Message.Should().Contain("error rate 100 % > 0 %: 4 of 4 requests failed, first: line 1");
        report.Parity.FirstDisagreements![0].Should().Contain("new failed: fraud-model-green-0: status 500, expected 200");
    }

    [Test]
    public async Task Should_apply_only_the_expected_outputs_when_nothing_serves()
    {
        var report = await ReplayAsync(Spec(5, s => s.MinAccuracy = 1), [], servingRevision: null);

        report.Passed.Should().BeTrue(report.Summary);
        report.Parity!.ServingRevision.Should().BeNull();
        report.Parity.Agreement.Should().BeNull();
        report.Parity.Accuracy.Should().Be(1);
        Model.InferRequests.Should().Be(5, "only the new colour is asked");
    }

    [Test]
    public async Task Should_fail_with_the_reason_and_send_nothing_when_the_data_set_cannot_be_replayed()
    {
        var report = await ReplayAsync(Spec(1, s => s.Lines = ["", "  "]), Pods(1, ServingIP));

        report.Passed.Should().BeFalse();
        report.Parity!.Message.Should().Be("spec.replay.lines holds no request");
        report.Parity.Revision.Should().Be(Revision);
        Model.InferRequests.Should().Be(0);
    }
    [Test]
    public async Task Should_record_which_colour_was_compared_with_which()
    {
        var report = await ReplayAsync(Spec(5), Pods(1, ServingIP));

        report.Parity!.Color.Should().Be("green");
        report.Parity.ServingColor.Should().Be("blue");
        report.Parity.AfterSwitch.Should().BeFalse();
    }

    [Test]
    public async Task Should_compare_the_serving_colour_with_the_warm_standby_after_the_switch()
    {
        var report = await ReplayAsync(Spec(10, s => s.AfterSwitch = true), Pods(1, ServingIP), afterSwitch: true);

        report.Passed.Should().BeTrue(report.Summary);
        report.Parity!.AfterSwitch.Should().BeTrue();
        report.Parity.Color.Should().Be("green");
        report.Parity.ServingColor.Should().Be("blue");
        report.Parity.Compared.Should().Be(10);
        report.Results.Should().ContainSingle(r => r.Name == ReplayRunner.CheckName && r.Passed);
        Model.InferRequests.Should().Be(20, "each line goes to the serving colour and to the standby");
    }

    [Test]
    public async Task Should_skip_a_replay_after_the_switch_without_a_ready_standby_pod_and_send_nothing()
    {
        var report = await ReplayAsync(Spec(5, s => s.AfterSwitch = true), [], afterSwitch: true);

        report.Parity.Should().BeNull("nothing was compared: no report to judge");
        report.Results.Should().BeEmpty();
        Model.InferRequests.Should().Be(0);
    }

    [Test]
    public async Task Should_fail_a_replay_before_the_switch_whose_serving_colour_has_no_ready_pod()
    {
        var report = await ReplayAsync(Spec(5), []);

        report.Passed.Should().BeFalse("before the switch a serving colour that does not answer is no agreement");
        report.Parity!.Message.Should().Contain("no line was answered by both colours");
    }
}
