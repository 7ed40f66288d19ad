using BlueGreenOperator.Api;
using BlueGreenOperator.Checks.Queries;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Checks;

/// <summary>
/// PromQL scoped to the object's namespace: every selector gets the namespace matcher, spliced into the text as
/// written; what cannot be scoped is refused, and refused queries are InvalidSpec.
/// </summary>
[TestFixture]
public sealed class ScopedQueryTests
{
    const string Ns = "tenant-a";

    [TestCase("up", """up{namespace="tenant-a"}""")]
    [TestCase("""up{job="model"}""", """up{namespace="tenant-a",job="model"}""")]
    [TestCase("""up {job="model",}""", """up {namespace="tenant-a",job="model",}""")]
    [TestCase("up{}", """up{namespace="tenant-a"}""")]
    [TestCase("""{__name__=~".+"}""", """{namespace="tenant-a",__name__=~".+"}""")]
    [TestCase("""count({__name__=~"model_.+"})""", """count({namespace="tenant-a",__name__=~"model_.+"})""")]
    [TestCase(
        """sum(rate(http_requests_total{code!~"5.."}[1m])) / sum(rate(http_requests_total[1m]))""",
        """sum(rate(http_requests_total{namespace="tenant-a",code!~"5.."}[1m])) / sum(rate(http_requests_total{namespace="tenant-a"}[1m]))""")]
    [TestCase(
        "histogram_quantile(0.99, sum by (le) (rate(model_inference_duration_seconds_bucket[5m])))",
        """histogram_quantile(0.99, sum by (le) (rate(model_inference_duration_seconds_bucket{namespace="tenant-a"}[5m])))""")]
    [TestCase("max_over_time(sum(model_requests_total)[10m:30s])", """max_over_time(sum(model_requests_total{namespace="tenant-a"})[10m:30s])""")]
    [TestCase("rate(x[5m:])", """rate(x{namespace="tenant-a"}[5m:])""")]
    [TestCase("x offset 5m", """x{namespace="tenant-a"} offset 5m""")]
    [TestCase("rate(x[5m] offset -1h30m)", """rate(x{namespace="tenant-a"}[5m] offset -1h30m)""")]
    [TestCase("up == bool 1", """up{namespace="tenant-a"} == bool 1""")]
    [TestCase("a / on(pod) group_left(version) b", """a{namespace="tenant-a"} / on(pod) group_left(version) b{namespace="tenant-a"}""")]
    [TestCase("a and ignoring(code) b or c unless d", """a{namespace="tenant-a"} and ignoring(code) b{namespace="tenant-a"} or c{namespace="tenant-a"} unless d{namespace="tenant-a"}""")]
    [TestCase("topk(3, x) + bottomk(1, y)", """topk(3, x{namespace="tenant-a"}) + bottomk(1, y{namespace="tenant-a"})""")]
    [TestCase("""count_values("v", x)""", """count_values("v", x{namespace="tenant-a"})""")]
    [TestCase("sum(x) by (pod) - SUM WITHOUT (pod) (y)", """sum(x{namespace="tenant-a"}) by (pod) - SUM WITHOUT (pod) (y{namespace="tenant-a"})""")]
    [TestCase("""label_replace(up, "ns", "$1", "namespace", "(.*)")""", """label_replace(up{namespace="tenant-a"}, "ns", "$1", "namespace", "(.*)")""")]
    [TestCase("vector(1) + time() - pi()", "vector(1) + time() - pi()")]
    [TestCase("-x ^ 2 atan2 y", """-x{namespace="tenant-a"} ^ 2 atan2 y{namespace="tenant-a"}""")]
    [TestCase("1e3 * 0x1F * Inf > NaN", "1e3 * 0x1F * Inf > NaN")]
    [TestCase("job:requests:rate5m", """job:requests:rate5m{namespace="tenant-a"}""")]
    [TestCase("""up{namespace="tenant-a"}""", """up{namespace="tenant-a",namespace="tenant-a"}""")]
    [TestCase("""up{namespace="tenant\x2da"}""", """up{namespace="tenant-a",namespace="tenant\x2da"}""")]
    [TestCase("""up{job="a\"}b"} + up{job='c}'} + up{job=`d\`}""", """up{namespace="tenant-a",job="a\"}b"} + up{namespace="tenant-a",job='c}'} + up{namespace="tenant-a",job=`d\`}""")]
    [TestCase("sum(\n  rate(x[1m])\n)", "sum(\n  rate(x{namespace=\"tenant-a\"}[1m])\n)")]
    [TestCase("rate", """rate{namespace="tenant-a"}""")]
    public void Should_put_the_namespace_matcher_into_every_selector(string query, string scoped)
    {
        ScopedQuery.Scope(query, Ns, out var problem).Should().Be(scoped, problem);
    }

    [TestCase("""up{namespace="tenant-b"}""", "asks for another namespace")]
    [TestCase("""up{namespace=~"tenant-.*"}""", "asks for another namespace")]
    [TestCase("""up{namespace!="tenant-a"}""", "asks for another namespace")]
    [TestCase("""{namespace=~".+"}""", "asks for another namespace")]
    [TestCase("""up{namespace="tenant\x2db"}""", "asks for another namespace")]
    [TestCase("""sum(up) + on(namespace) group_left count(kube_pod_info{namespace="kube-system"})""", "asks for another namespace")]
    [TestCase("label_values(up, namespace)", "function label_values is not accepted")]
    [TestCase("info(up)", "function info is not accepted")]
    [TestCase("sort_by_label(up, \"namespace\")", "function sort_by_label is not accepted")]
    [TestCase("up @ 1609746000", "the @ modifier is not accepted")]
    [TestCase("rate(up[5m] @ end())", "the @ modifier is not accepted")]
    [TestCase("up # {namespace=\"tenant-b\"}", "comments are not accepted")]
    [TestCase("max_over_time(rate(x[5m:1m])[1h:1m])", "a subquery of a subquery")]
    [TestCase("x[5m:][5m:]", "a subquery of a subquery")]
    [TestCase("rate(x[2h])", "the range 2h is over 1h")]
    [TestCase("max_over_time(x[1d:1m])", "the range 1d is over 1h")]
    [TestCase("x offset 2d", "the offset 2d is over 1d")]
    [TestCase("rate(x[5m:100ms])", "the subquery step 100ms is under 1s")]
    [TestCase("rate((x)[5m])", "follows no selector")]
    [TestCase("rate(x offset 5m [5m])", "follows no selector")]
    [TestCase("rate(x[5])", "a range needs a unit")]
    [TestCase("{}", "an empty selector")]
    [TestCase("""up{"namespace"="tenant-b"}""", "expected a label name")]
    [TestCase("""{"up"}""", "expected a label name")]
    [TestCase("""up{job="a" namespace="tenant-b"}""", "expected }")]
    [TestCase("sum(up", "the query ends where ) was expected")]
    [TestCase("up{job=\"a", "unterminated string")]
    [TestCase("up; drop", "unexpected character ';'")]
    [TestCase("offset", "unexpected 'offset'")]
    [TestCase("sum", "( after sum was expected")]
    [TestCase("", "the query is empty")]
    public void Should_refuse_what_cannot_be_scoped(string query, string reason)
    {
        ScopedQuery.Scope(query, Ns, out var problem).Should().BeNull();
        problem.Should().Contain(reason);
    }

    [Test]
    public void Should_refuse_queries_too_long_too_deep_or_with_too_many_selectors()
    {
        Refusal(new string(' ', 1020) + "up{}x").Should().Contain("at most 1024");
        Refusal(new string('(', 40) + "up" + new string(')', 40)).Should().Contain("nests deeper than 32");
        Refusal(string.Join(" + ", Enumerable.Range(0, 21).Select(i => $"m{i}"))).Should().Contain("more than 20 selectors");
        Refusal(string.Join(" + ", Enumerable.Range(0, 20).Select(i => $"m{i}"))).Should().BeNull();
    }

    static string? Refusal(string query)
    {
        ScopedQuery.Scope(query, Ns, out var problem);
        return problem;
    }

    [Test]
    public void Should_report_a_query_that_cannot_be_scoped_as_invalid_spec()
    {
        var resource = Analysis("""sum(rate(model_requests_total{namespace="tenant-b"}[1m]))""", interval: 15);

        SpecValidator.Validate(resource).Should().ContainSingle()
            .Which.Should().StartWith("spec.analysis.checks[0].prometheus.query cannot be scoped to namespace tenant-a: the matcher namespace=\"tenant-b\"");
    }

    [Test]
    public void Should_refuse_querying_prometheus_more_often_than_every_ten_seconds()
    {
        SpecValidator.Validate(Analysis("sum(up)", interval: 9)).Should().ContainSingle()
            .Which.Should().Be("spec.analysis.intervalSeconds must be at least 10 when the analysis queries Prometheus, got 9");
        SpecValidator.Validate(Analysis("sum(up)", interval: 10)).Should().BeEmpty();
    }

    static BlueGreenDeployment Analysis(string query, int interval) => new()
    {
        Metadata = new V1ObjectMeta { Name = "fraud-model", NamespaceProperty = Ns },
        Spec = new BlueGreenDeploymentSpec
        {
            Model = new ModelSpec { Name = "iris", Version = "v1" },
            Template = new V1PodTemplateSpec { Spec = new V1PodSpec { Containers = [new V1Container { Name = "server", Image = "iris:v1" }] } },
            Service = new ServiceSpec { Name = "fraud-model", Ports = [new ServicePortSpec { Port = 80, TargetPort = 8080 }] },
            Analysis = new AnalysisSpec
            {
                IntervalSeconds = interval,
                Checks = [new CheckSpec { Name = "errors", Prometheus = new PrometheusCheckSpec { Query = query, Max = 0.01 } }],
            },
        },
    };
}
