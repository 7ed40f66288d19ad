using System.Web;
using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Checks.Probing;

namespace BlueGreenOperator.Tests.Checks;

/// <summary>Analysis queries against a real local HTTP server that answers like Prometheus' query API.</summary>
[TestFixture]
public sealed class PrometheusCheckTests
{
    const string SuccessRate = """sum(rate(http_requests_total{code!~"5.."}[1m])) / sum(rate(http_requests_total[1m]))""";

    LocalHttpServer prometheus = null!;
    string answer = "";

    Uri BaseAddress => new($"http://127.0.0.1:{prometheus.Port}/");

    [SetUp]
    public async Task StartPrometheus() =>
        prometheus = await LocalHttpServer.StartAsync((request, context) =>
            request.PathAndQuery.StartsWith("/api/v1/query?", StringComparison.Ordinal)
                ? LocalHttpServer.WriteJsonAsync(context, answer)
                : LocalHttpServer.WriteJsonAsync(context, "{}", 404));

    [TearDown]
    public async Task StopPrometheus() => await prometheus.DisposeAsync();

    static string Vector(string value) =>
        $$$"""{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"model"},"value":[1763812345.123,"{{{value}}}"]}]}}""";

    static CheckSpec SuccessRateAtLeast(double min, double? max = null) =>
        new() { Name = "success-rate", Prometheus = new PrometheusCheckSpec { Query = SuccessRate, Min = min, Max = max } };

    Task<CheckReport> AnalyseAsync(Uri? prometheusAddress, params CheckSpec[] checks) =>
        Runner(prometheusAddress).RunAsync(Analysis(Pods(3), checks), CancellationToken.None);

    [Test]
    public async Task Should_pass_when_the_sample_lies_within_bounds_and_query_once_for_all_pods()
    {
        answer = Vector("0.998");

        var report = await AnalyseAsync(BaseAddress, SuccessRateAtLeast(0.99, 1));

        report.Passed.Should().BeTrue(report.Summary);
        var result = report.Results.Single();
        result.Pod.Should().BeNull();
        result.Name.Should().Be("success-rate");
        var request = prometheus.Received.Single();
        request.Method.Should().Be("GET");
        HttpUtility.ParseQueryString(new Uri("http://x" + request.PathAndQuery).Query)["query"].Should().Be(
            """sum(rate(http_requests_total{namespace="ml-serving",code!~"5.."}[1m])) / sum(rate(http_requests_total{namespace="ml-serving"}[1m]))""",
            "every selector reads the object's namespace only");
    }

    [Test]
    public async Task Should_fail_below_min()
    {
        answer = Vector("0.93");

        var report = await AnalyseAsync(BaseAddress, SuccessRateAtLeast(0.99));

        report.Passed.Should().BeFalse();
        report.Results.Single().Message.Should().Be("value below min 0.99", "the check says how the value stands to its bound, not the value");
    }

    [Test]
    public async Task Should_fail_above_max()
    {
        answer = """{"status":"success","data":{"resultType":"scalar","result":[1763812345.1,"412"]}}""";
        var latency = new CheckSpec { Name = "p99", Prometheus = new PrometheusCheckSpec { Query = "scalar(p99)", Max = 250 } };

        var report = await AnalyseAsync(BaseAddress, latency);

        report.Results.Single().Message.Should().Be("value above max 250");
    }

    [Test]
    public async Task Should_fail_on_an_empty_result()
    {
        answer = """{"status":"success","data":{"resultType":"vector","result":[]}}""";

        var report = await AnalyseAsync(BaseAddress, SuccessRateAtLeast(0.99));

        report.Results.Single().Message.Should().Be("query returned no samples");
    }

    [Test]
    public async Task Should_fail_on_a_query_error_with_prometheus_reason()
    {
        answer = """{"status":"error","errorType":"bad_data","error":"parse error at char 5"}""";

        var report = await AnalyseAsync(BaseAddress, SuccessRateAtLeast(0.99));

        report.Results.Single().Message.Should().Be("Prometheus query failed (200 bad_data): parse error at char 5");
    }

    [Test]
    public async Task Should_fail_on_nan()
    {
        answer = Vector("NaN");

        var report = await AnalyseAsync(BaseAddress, SuccessRateAtLeast(0.99));

        report.Results.Single().Message.Should().Be("query returned NaN");
    }

    [Test]
    public async Task Should_fail_when_no_prometheus_is_configured()
    {
        var report = await AnalyseAsync(null, SuccessRateAtLeast(0.99));

        report.Passed.Should().BeFalse();
        report.Results.Single().Message.Should().Be("no Prometheus configured");
    }

    [Test]
    public async Task Should_run_pod_checks_per_pod_and_prometheus_checks_once()
    {
        answer = Vector("1");
        await using var model = await ModelServer.StartAsync();

        var report = await AnalyseAsync(BaseAddress, SuccessRateAtLeast(0.99), Golden(model.Port));

        report.Passed.Should().BeTrue(report.Summary);
        report.Results.Select(r => (r.Name, r.Pod)).Should().Equal(
            ("golden", "fraud-model-green-0"), ("golden", "fraud-model-green-1"), ("golden", "fraud-model-green-2"), ("success-rate", null));
        prometheus.Received.Should().ContainSingle();
    }
}
