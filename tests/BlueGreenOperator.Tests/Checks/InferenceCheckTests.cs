using System.Text.Json;
using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Checks.Probing;

namespace BlueGreenOperator.Tests.Checks;

/// <summary>Golden predictions against a real local OIP v2 model server, on every pod.</summary>
[TestFixture]
public sealed class InferenceCheckTests : AgainstModelServer
{
    [Test]
    public async Task Should_pass_when_every_pod_predicts_the_golden_output()
    {
        var report = await RunAsync(Pods(3), Golden(Model.Port));

        report.Passed.Should().BeTrue(report.Summary);
        report.PodsTested.Should().Be(3);
        report.Color.Should().Be(Color.Green);
        report.Revision.Should().Be(Revision);
        report.Results.Select(r => r.Pod).Should().Equal("fraud-model-green-0", "fraud-model-green-1", "fraud-model-green-2");
        report.Results.Should().OnlyContain(r => r.Name == "golden" && r.Passed && r.LatencyMs >= 0);
        Model.InferRequests.Should().Be(3);
    }

    [Test]
    public async Task Should_send_the_inputs_as_an_open_inference_protocol_request()
    {
        await RunAsync(Pods(1), Golden(Model.Port));

        var request = Model.Received.Single();
        request.Method.Should().Be("POST");
        request.PathAndQuery.Should().Be("/v2/models/iris/infer");
        request.ContentType.Should().StartWith("application/json");
        using var body = JsonDocument.Parse(request.Body);
        var input = body.RootElement.GetProperty("inputs")[0];
        input.GetProperty("name").GetString().Should().Be("input-0");
        input.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).Should().Equal(1, 4);
        input.GetProperty("datatype").GetString().Should().Be("FP32");
        input.GetProperty("data").EnumerateArray().Select(d => d.GetDouble()).Should().Equal(5.1, 3.5, 1.4, 0.2);
    }

    [Test]
    public async Task Should_call_the_versioned_endpoint_when_a_model_version_is_set()
    {
        var report = await RunAsync(Pods(1), Golden(Model.Port, edit: c => c.Inference!.ModelVersion = "3"));

        report.Passed.Should().BeTrue(report.Summary);
        Model.Received.Single().PathAndQuery.Should().Be("/v2/models/iris/versions/3/infer");
    }

    [Test]
    public async Task Should_fail_only_the_pod_that_predicts_wrongly_and_name_expected_and_actual()
    {
        // The third pod is reached through the IPv4-mapped IPv6 spelling of the same loopback address.
        Model.For("::ffff:127.0.0.1", new ModelBehaviour { Prediction = [2] });
        var pods = new[] { Pods(2)[0], Pods(2)[1], new CheckTarget("fraud-model-green-2", "::ffff:127.0.0.1") };

        var report = await RunAsync(pods, Golden(Model.Port));

        report.Passed.Should().BeFalse();
        report.PodsTested.Should().Be(3);
        report.Results.Where(r => r.Passed).Select(r => r.Pod).Should().BeEquivalentTo("fraud-model-green-0", "fraud-model-green-1");
        var failed = report.Results.Single(r => !r.Passed);
        failed.Pod.Should().Be("fraud-model-green-2");
        failed.Message.Should().Contain("output \"output-0\"").And.Contain("expected [0]").And.Contain("actual [2]");
        report.Summary.Should().Contain("1 of 3 checks failed").And.Contain("fraud-model-green-2");
    }

    [Test]
    public async Task Should_accept_a_prediction_within_the_tolerance()
    {
        Model.Behaviour = new ModelBehaviour { Prediction = [0.52, 0.48] };

        var report = await RunAsync(Pods(1), Golden(Model.Port, expect: [0.5, 0.5], tolerance: 0.05));

        report.Passed.Should().BeTrue(report.Summary);
    }

    [Test]
    public async Task Should_reject_a_prediction_outside_the_tolerance()
    {
        Model.Behaviour = new ModelBehaviour { Prediction = [0.52, 0.48] };

        var report = await RunAsync(Pods(1), Golden(Model.Port, expect: [0.5, 0.5], tolerance: 0.01));

        report.Passed.Should().BeFalse();
        report.Results.Single().Message.Should().Contain("element 0: 0.52 vs 0.5, tolerance 0.01");
    }

    [Test]
    public async Task Should_flatten_nested_output_data()
    {
        Model.Behaviour = new ModelBehaviour { Prediction = [0.1, 0.9, 0.8, 0.2], NestedRows = true };

        var report = await RunAsync(Pods(1), Golden(Model.Port, expect: [0.1, 0.9, 0.8, 0.2]));

        report.Passed.Should().BeTrue(report.Summary);
        Model.Received.Should().ContainSingle();
    }

    [Test]
    public async Task Should_compare_boolean_outputs_as_one_and_zero()
    {
        var check = Golden(Model.Port);
        check.Inference!.ExpectOutputs = [new ExpectedOutputSpec { Name = "output-1", Data = [1] }];

        (await RunAsync(Pods(1), check)).Passed.Should().BeTrue();

        check.Inference.ExpectOutputs[0].Data = [0];
        (await RunAsync(Pods(1), check)).Results.Single().Message.Should().Contain("expected [0]").And.Contain("actual [1]");
    }

    [Test]
    public async Task Should_fail_when_the_element_count_differs()
    {
        Model.Behaviour = new ModelBehaviour { Prediction = [0, 0] };

        var report = await RunAsync(Pods(1), Golden(Model.Port, expect: [0]));

        report.Results.Single().Message.Should().Contain("expected 1 values [0], actual 2 values [0, 0]");
    }

    [Test]
    public async Task Should_fail_when_an_expected_output_is_missing()
    {
        var check = Golden(Model.Port);
        check.Inference!.ExpectOutputs = [new ExpectedOutputSpec { Name = "probabilities", Data = [1] }];

        var report = await RunAsync(Pods(1), check);

        report.Results.Single().Message.Should().Be("output \"probabilities\" missing; outputs: [output-0, output-1]");
    }

    [Test]
    public async Task Should_fail_on_a_server_error_with_status_and_body()
    {
        Model.Behaviour = new ModelBehaviour { Status = 500, RawBody = """{"error":"model not loaded"}""" };

        var report = await RunAsync(Pods(1), Golden(Model.Port));

        report.Passed.Should().BeFalse();
        report.Results.Single().Message.Should().Be("""status 500, expected 200; body: {"error":"model not loaded"}""");
    }

    [Test]
    public async Task Should_fail_on_malformed_json_and_limit_the_body_excerpt()
    {
        Model.Behaviour = new ModelBehaviour { RawBody = "{\"outputs\": [" + new string('x', 1000) };

        var report = await RunAsync(Pods(1), Golden(Model.Port));

        var message = report.Results.Single().Message!;
        message.Should().StartWith("inference response is not valid JSON");
        message.Should().Contain(new string('x', 150));
        message.Should().NotContain(new string('x', 201));
    }

    [Test]
    public async Task Should_fail_when_an_output_holds_strings()
    {
        Model.Behaviour = new ModelBehaviour { RawBody = """{"outputs":[{"name":"output-0","shape":[1],"datatype":"BYTES","data":["setosa"]}]}""" };

        var report = await RunAsync(Pods(1), Golden(Model.Port));

        report.Results.Single().Message.Should().StartWith("output \"output-0\" holds string data, not numbers or booleans");
    }

    [Test]
    public async Task Should_fail_a_response_slower_than_max_latency()
    {
        Model.Behaviour = new ModelBehaviour { Delay = TimeSpan.FromMilliseconds(400) };

        var report = await RunAsync(Pods(1), Golden(Model.Port, edit: c => c.MaxLatencyMs = 100));

        var result = report.Results.Single();
        result.Passed.Should().BeFalse();
        result.LatencyMs.Should().BeGreaterThan(100, "the worst latency is what broke the limit");
        result.Message.Should().MatchRegex(@"^latency \d+ ms over maxLatencyMs 100$");
    }

    [Test]
    public async Task Should_pass_a_response_within_max_latency()
    {
        var report = await RunAsync(Pods(1), Golden(Model.Port, edit: c => c.MaxLatencyMs = 10_000));

        report.Passed.Should().BeTrue(report.Summary);
    }

    [Test]
    public async Task Should_time_out_a_pod_that_does_not_answer()
    {
        Model.Behaviour = new ModelBehaviour { Delay = TimeSpan.FromSeconds(30) };

        var report = await RunAsync(Pods(1), Golden(Model.Port, edit: c => c.TimeoutSeconds = 1));

        var result = report.Results.Single();
        result.Passed.Should().BeFalse();
        result.Message.Should().Be($"timed out after 1 s (127.0.0.1:{Model.Port})");
        result.LatencyMs.Should().BeGreaterThan(500, "a timed-out attempt counts with the time it waited");
    }

    [Test]
    public async Task Should_count_every_repeat_as_a_request()
    {
        var report = await RunAsync(Pods(3), Golden(Model.Port, edit: c => c.Repeat = 4));

        report.Passed.Should().BeTrue(report.Summary);
        Model.InferRequests.Should().Be(12);
        report.Results.Should().OnlyContain(r => r.Message == $"4 of 4 attempts passed, worst {r.LatencyMs} ms");
    }

    [Test]
    public async Task Should_fail_when_a_later_attempt_fails()
    {
        Model.Behaviour = new ModelBehaviour { ChangeAtRequest = 2, Later = new ModelBehaviour { Prediction = [1] } };

        var report = await RunAsync(Pods(1), Golden(Model.Port, edit: c => c.Repeat = 3));

        report.Passed.Should().BeFalse();
        report.Results.Single().Message.Should().StartWith("attempt 2 of 3: output \"output-0\": expected [0], actual [1]");
        Model.InferRequests.Should().Be(2, "the first failing attempt decides the check");
    }

    [Test]
    public async Task Should_bound_how_many_pods_are_checked_at_once()
    {
        Model.Behaviour = new ModelBehaviour { Delay = TimeSpan.FromMilliseconds(300) };

        var report = await RunAsync(Pods(20), Golden(Model.Port));

        report.Passed.Should().BeTrue(report.Summary);
        Model.MaxInFlight.Should().BeInRange(2, SmokeTestRunner.MaxParallelPods);
    }
}
