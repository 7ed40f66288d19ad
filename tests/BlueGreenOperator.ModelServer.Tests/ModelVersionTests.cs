using System.Net;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.ModelServer.Tests.InferenceMessages;

namespace BlueGreenOperator.ModelServer.Tests;

[TestFixture]
public sealed class ModelVersionTests
{
    private ModelServerProcess v1 = null!;
    private ModelServerProcess v2 = null!;

    [OneTimeSetUp]
    public async Task StartBothVersions()
    {
        v1 = await ModelServerProcess.StartAsync(new Dictionary<string, string> { ["MODEL_VERSION"] = "v1" });
        v2 = await ModelServerProcess.StartAsync(new Dictionary<string, string> { ["MODEL_VERSION"] = "v2" });
    }

    [OneTimeTearDown]
    public async Task StopBothVersions()
    {
        await v1.DisposeAsync();
        await v2.DisposeAsync();
    }

    [Test]
    public async Task Should_predict_setosa_for_the_golden_input_in_both_versions()
    {
        Classes((await v1.InferAsync(Request(Setosa))).Body).Should().Equal(0);
        Classes((await v2.InferAsync(Request(Setosa))).Body).Should().Equal(0);
    }

    [Test]
    public async Task Should_give_a_different_class_for_the_borderline_flower_in_each_version()
    {
        var (_, fromV1) = await v1.InferAsync(Request(Borderline));
        var (_, fromV2) = await v2.InferAsync(Request(Borderline));

        Classes(fromV1).Should().Equal(2);
        Classes(fromV2).Should().Equal(1);
    }

    [Test]
    public async Task Should_give_measurably_different_probabilities_in_each_version()
    {
        var (_, fromV1) = await v1.InferAsync(Request(Setosa));
        var (_, fromV2) = await v2.InferAsync(Request(Setosa));

        var largestGap = Probabilities(fromV1).Zip(Probabilities(fromV2), (a, b) => Math.Abs(a - b)).Max();
        largestGap.Should().BeGreaterThan(1e-3);
    }

    [Test]
    public async Task Should_name_its_version_in_metadata_responses_and_metrics()
    {
        var (_, metadata) = await v2.GetAsync("/v2/models/iris");
        var (_, response) = await v2.InferAsync(Request(Setosa));

        metadata!["versions"]!.AsArray().Select(v => (string?)v).Should().Equal("v2");
        ((string?)response!["model_version"]).Should().Be("v2");
        (await v2.ScrapeMetricsAsync()).Should().Contain("model_requests_total{model=\"iris\",version=\"v2\",code=\"200\"}");
        (await v2.InferAsync(Request(Setosa), "/v2/models/iris/versions/v1/infer")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Should_report_the_reported_version_everywhere_while_predicting_with_the_weights_of_the_model_version()
    {
        await using var edited = await ModelServerProcess.StartAsync(
            new Dictionary<string, string> { ["MODEL_VERSION"] = "v1", ["REPORTED_VERSION"] = "hand-edited" });

        var (status, response) = await edited.InferAsync(Request(Setosa, Borderline));
        var (_, fromV1) = await v1.InferAsync(Request(Setosa, Borderline));
        var (_, metadata) = await edited.GetAsync("/v2/models/iris");
        var (_, ready) = await edited.GetAsync("/v2/models/iris/ready");

        status.Should().Be(HttpStatusCode.OK);
        ((string?)response!["model_version"]).Should().Be("hand-edited");
        Classes(response).Should().Equal(0, 2);
        Probabilities(response).Should().Equal(Probabilities(fromV1), "the weights are v1's");
        metadata!["versions"]!.AsArray().Select(v => (string?)v).Should().Equal("hand-edited");
        ((string?)ready!["version"]).Should().Be("hand-edited");
        (await edited.InferAsync(Request(Setosa), "/v2/models/iris/versions/hand-edited/infer")).Status.Should().Be(HttpStatusCode.OK);
        (await edited.InferAsync(Request(Setosa), "/v2/models/iris/versions/v1/infer")).Status.Should().Be(HttpStatusCode.NotFound);
        var metrics = await edited.ScrapeMetricsAsync();
        PrometheusText.Sample(metrics, "model_requests_total{model=\"iris\",version=\"hand-edited\",code=\"200\"}").Should().Be(2);
        metrics.Should().NotContain("version=\"v1\"");
    }

    [Test]
    public async Task Should_train_the_same_weights_on_every_start()
    {
        await using var again = await ModelServerProcess.StartAsync(new Dictionary<string, string> { ["MODEL_VERSION"] = "v2" });

        var (_, first) = await v2.InferAsync(Request(Setosa, Borderline));
        var (_, second) = await again.InferAsync(Request(Setosa, Borderline));

        Probabilities(second).Should().Equal(Probabilities(first));
    }

    [Test]
    public async Task Should_serve_the_model_under_the_configured_name()
    {
        await using var server = await ModelServerProcess.StartAsync(new Dictionary<string, string> { ["MODEL_NAME"] = "fraud-detector" });

        var (status, body) = await server.InferAsync(Request(Setosa), "/v2/models/fraud-detector/infer");

        status.Should().Be(HttpStatusCode.OK);
        ((string?)body!["model_name"]).Should().Be("fraud-detector");
        (await server.InferAsync(Request(Setosa))).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Should_refuse_to_start_with_an_unknown_version()
    {
        await using var server = await ModelServerProcess.StartExpectingExitAsync(new Dictionary<string, string> { ["MODEL_VERSION"] = "v9" });

        server.ExitCode.Should().Be(2);
        server.Output.Should().Contain("MODEL_VERSION 'v9' is unknown").And.Contain("v1, v2");
    }
}
