using System.Net;
using System.Text.Json.Nodes;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.ModelServer.Tests.InferenceMessages;

namespace BlueGreenOperator.ModelServer.Tests;

[TestFixture]
public sealed class OpenInferenceProtocolTests
{
    private ModelServerProcess server = null!;

    [OneTimeSetUp]
    public async Task StartServer() => server = await ModelServerProcess.StartAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await server.DisposeAsync();

    [Test]
    public async Task Should_report_live_and_ready_when_started_without_delay()
    {
        (await server.GetAsync("/v2/health/live")).Status.Should().Be(HttpStatusCode.OK);
        (await server.GetAsync("/v2/health/ready")).Status.Should().Be(HttpStatusCode.OK);
        var (status, body) = await server.GetAsync("/v2/models/iris/ready");
        status.Should().Be(HttpStatusCode.OK);
        ((bool)body!["ready"]!).Should().BeTrue();
    }

    [Test]
    public async Task Should_publish_server_metadata()
    {
        var (status, body) = await server.GetAsync("/v2");
        status.Should().Be(HttpStatusCode.OK);
        ((string?)body!["name"]).Should().Be("model-server");
        body["extensions"].Should().BeOfType<JsonArray>();
    }

    [Test]
    public async Task Should_publish_model_metadata_with_its_tensors()
    {
        var (status, body) = await server.GetAsync("/v2/models/iris");
        status.Should().Be(HttpStatusCode.OK);
        ((string?)body!["name"]).Should().Be("iris");
        body["versions"]!.AsArray().Select(v => (string?)v).Should().Equal("v1");
        var input = body["inputs"]!.AsArray().Single()!;
        ((string?)input["name"]).Should().Be("input-0");
        ((string?)input["datatype"]).Should().Be("FP32");
        input["shape"]!.AsArray().Select(d => (long)d!).Should().Equal(-1, 4);
        body["outputs"]!.AsArray().Select(o => (string?)o!["name"]).Should().Equal("output-0", "probabilities");
        (await server.GetAsync("/v2/models/iris/versions/v1")).Status.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task Should_predict_setosa_for_the_golden_input()
    {
        var (status, body) = await server.InferAsync(Request(Setosa));

        status.Should().Be(HttpStatusCode.OK);
        ((string?)body!["model_name"]).Should().Be("iris");
        ((string?)body["model_version"]).Should().Be("v1");
        Classes(body).Should().Equal(0);
        ((string?)Output(body, "output-0")["datatype"]).Should().Be("INT64");
        Output(body, "probabilities")["shape"]!.AsArray().Select(d => (long)d!).Should().Equal(1, 3);
        var probabilities = Probabilities(body);
        probabilities.Sum().Should().BeApproximately(1.0, 1e-5);
        probabilities[0].Should().BeGreaterThan(0.9);
    }

    [Test]
    public async Task Should_classify_a_batch_of_one_flower_per_species()
    {
        var (status, body) = await server.InferAsync(Request(Setosa, [6.4, 3.2, 4.5, 1.5], [6.3, 3.3, 6.0, 2.5]));

        status.Should().Be(HttpStatusCode.OK);
        Classes(body).Should().Equal(0, 1, 2);
        Probabilities(body).Should().HaveCount(9);
    }

    [Test]
    public async Task Should_read_nested_data_like_flat_data()
    {
        var nested = new
        {
            inputs = new[] { new { name = "input-0", shape = new[] { 2, 4 }, datatype = "FP32", data = new[] { Setosa, [6.3, 3.3, 6.0, 2.5] } } },
        };

        var (status, body) = await server.InferAsync(nested);

        status.Should().Be(HttpStatusCode.OK);
        Classes(body).Should().Equal(0, 2);
    }

    [TestCase("FP32", "[5.1, 3.5, 1.4, 0.2]")]
    [TestCase("FP64", "[5.1, 3.5, 1.4, 0.2]")]
    [TestCase("INT32", "[5, 4, 1, 0]")]
    [TestCase("INT64", "[5, 4, 1, 0]")]
    public async Task Should_accept_every_numeric_datatype(string datatype, string data)
    {
        var (status, body) = await server.PostRawAsync(
            $$"""{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"{{datatype}}","data":{{data}}}]}""");

        status.Should().Be(HttpStatusCode.OK, body?.ToJsonString());
        Classes(body).Should().Equal(0);
    }

    [Test]
    public async Task Should_echo_the_request_id_and_return_only_the_outputs_asked_for()
    {
        var (status, body) = await server.PostRawAsync(
            """{"id":"req-42","inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}],"outputs":[{"name":"probabilities"}]}""");

        status.Should().Be(HttpStatusCode.OK);
        ((string?)body!["id"]).Should().Be("req-42");
        body["outputs"]!.AsArray().Select(o => (string?)o!["name"]).Should().Equal("probabilities");
    }

    [Test]
    public async Task Should_serve_the_versioned_inference_route_of_its_own_version_only()
    {
        (await server.InferAsync(Request(Setosa), "/v2/models/iris/versions/v1/infer")).Status.Should().Be(HttpStatusCode.OK);

        var (status, body) = await server.InferAsync(Request(Setosa), "/v2/models/iris/versions/v2/infer");

        status.Should().Be(HttpStatusCode.NotFound);
        ((string?)body!["error"]).Should().Contain("version 'v2'").And.Contain("serves 'iris' version 'v1'");
    }

    [Test]
    public async Task Should_answer_404_with_a_message_for_an_unknown_model()
    {
        var (inferStatus, inferBody) = await server.InferAsync(Request(Setosa), "/v2/models/daisy/infer");
        var (metadataStatus, metadataBody) = await server.GetAsync("/v2/models/daisy");
        var (readyStatus, _) = await server.GetAsync("/v2/models/daisy/ready");

        inferStatus.Should().Be(HttpStatusCode.NotFound);
        ((string?)inferBody!["error"]).Should().Contain("Model 'daisy' is not served here");
        metadataStatus.Should().Be(HttpStatusCode.NotFound);
        ((string?)metadataBody!["error"]).Should().Contain("daisy");
        readyStatus.Should().Be(HttpStatusCode.NotFound);
    }

    private static readonly object[] MalformedRequests =
    [
        new object[] { "", "body is empty" },
        new object[] { "{\"inputs\": [", "not valid JSON" },
        new object[] { "[1, 2, 3]", "must be a JSON object" },
        new object[] { "{}", "\"inputs\" must be an array" },
        new object[] { "{\"inputs\": {}}", "\"inputs\" must be an array" },
        new object[] { "{\"inputs\": []}", "must contain the tensor 'input-0'" },
        new object[] { "{\"inputs\": [7]}", "must be an object" },
        new object[] { "{\"inputs\": [{\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}", "needs \"name\"" },
        new object[] { "{\"inputs\": [{\"name\":\"petals\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}", "Unknown input 'petals'" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]},{\"name\":\"input-0\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}", "more than once" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[1,4],\"data\":[1,2,3,4]}]}", "needs \"datatype\"" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[1,4],\"datatype\":\"BYTES\",\"data\":[1,2,3,4]}]}", "datatype 'BYTES'" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}", "needs \"shape\"" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}", "shape [4]; expected [n, 4]" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}", "shape [1, 3]; expected [n, 4]" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[0,4],\"datatype\":\"FP32\",\"data\":[]}]}", "shape [0, 4]" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[-1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}", "dimensions are non-negative integers" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[1,4],\"datatype\":\"FP32\"}]}", "needs \"data\"" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[2,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}", "has 4 values but shape [2, 4] needs 8" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4,5]}]}", "has 5 values" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,\"two\",3,4]}]}", "value #1 is a string" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[2,4],\"datatype\":\"FP32\",\"data\":[[1,2],[3,4,5,6,7,8]]}]}", "nested data that does not match shape [2, 4] at dimension 1" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[2,4],\"datatype\":\"FP32\",\"data\":[[1,2,3,4],[5,6,7,8],[]]}]}", "does not match shape [2, 4] at dimension 0" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[2,4],\"datatype\":\"FP32\",\"data\":[[1,2,3,4],5]}]}", "mixes numbers and arrays" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[1,4],\"datatype\":\"INT32\",\"data\":[1,2.5,3,4]}]}", "(2.5) is not a valid INT32" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,1e300]}]}", "is not a valid FP32" },
        new object[] { "{\"id\": 5, \"inputs\": [{\"name\":\"input-0\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}", "\"id\" must be a string" },
        new object[] { "{\"inputs\": [{\"name\":\"input-0\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}],\"outputs\":[{\"name\":\"logits\"}]}", "Unknown output 'logits'" },
    ];

    [TestCaseSource(nameof(MalformedRequests))]
    public async Task Should_answer_400_with_a_clear_message_for_a_malformed_request(string body, string message)
    {
        var (status, answer) = await server.PostRawAsync(body);

        status.Should().Be(HttpStatusCode.BadRequest);
        ((string?)answer!["error"]).Should().Contain(message);
    }

    [Test]
    public async Task Should_count_inference_requests_by_status_code_in_metrics()
    {
        const string labels = "model=\"iris\",version=\"v1\"";
        var before = await server.ScrapeMetricsAsync();

        await server.InferAsync(Request(Setosa));
        await server.InferAsync(Request(Setosa));
        await server.PostRawAsync("{}");
        await server.GetAsync("/v2/health/ready");

        var after = await server.ScrapeMetricsAsync();
        double Delta(string series) => PrometheusText.Sample(after, series) - PrometheusText.Sample(before, series);
        Delta($"model_requests_total{{{labels},code=\"200\"}}").Should().Be(2);
        Delta($"model_requests_total{{{labels},code=\"400\"}}").Should().Be(1);
        Delta($"model_request_errors_total{{{labels}}}").Should().Be(1);
        Delta($"model_inference_duration_seconds_count{{{labels}}}").Should().Be(3);
        Delta($"model_inference_duration_seconds_bucket{{{labels},le=\"+Inf\"}}").Should().Be(3);
        Delta($"model_inference_duration_seconds_sum{{{labels}}}").Should().BePositive();
        after.Should().Contain("# TYPE model_requests_total counter")
            .And.Contain("# TYPE model_request_errors_total counter")
            .And.Contain("# TYPE model_inference_duration_seconds histogram");
    }
}
