using System.Net.Http.Json;
using System.Text.Json.Nodes;
using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.LocalCluster.Testing;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests.Tenancy;

/// <summary>
/// Analysis queries of a tenant against a real Prometheus that scrapes the model servers of two namespaces: every
/// attempt to read the other namespace's series, or to learn whether they exist, reads the tenant's own or is refused.
/// Each attack's unscoped answer is read from Prometheus too, so that a test would fail if the scoping were gone.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class NamespaceScopedAnalysisTests
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    TestNamespace tenantA = null!;
    TestNamespace tenantB = null!;
    PrometheusServer prometheus = null!;
    string podB = "";

    static IKubernetes Admin => EndToEndCluster.Client;

    string A => tenantA.Name;

    string B => tenantB.Name;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        tenantA = await TestNamespace.CreateAsync(Admin, "prom-tenant-a");
        tenantB = await TestNamespace.CreateAsync(Admin, "prom-tenant-b");

        // Tenant a's model server answers 3 predictions; tenant b's answers 8, every second one with an error.
        var serverA = await StartModelServerAsync(A, errorRate: "0");
        var serverB = await StartModelServerAsync(B, errorRate: "0.5");
        podB = serverB.Metadata.Name;
        await PredictAsync(serverA, 3);
        await PredictAsync(serverB, 8);

        prometheus = await PrometheusServer.StartAsync(
        [
            new ScrapeTarget($"{serverA.Status.PodIP}:8080", A, serverA.Metadata.Name),
            new ScrapeTarget($"{serverB.Status.PodIP}:8080", B, serverB.Metadata.Name),
        ]);
        // Both scraped, and a subquery step (on whole seconds) has seen both: the unscoped answers below are settled.
        await BlueGreenOperator.LocalCluster.Eventually.UntilAsync(
            async _ => await prometheus.QueryAsync("sum(model_requests_total)") == 11
                && await prometheus.QueryAsync("max_over_time(sum(model_request_errors_total)[1m:1s])") == 4,
            TimeSpan.FromSeconds(60), $"Prometheus to have scraped both namespaces (log:\n{prometheus.Log})");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (prometheus is not null)
            await prometheus.DisposeAsync();
        await tenantA.DisposeAsync();
        await tenantB.DisposeAsync();
    }

    static async Task<V1Pod> StartModelServerAsync(string ns, string errorRate)
    {
        var pod = new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = $"model-server-{ns}" },
            Spec = new V1PodSpec
            {
                TerminationGracePeriodSeconds = 1,
                Containers =
                [
                    new V1Container
                    {
                        Name = "server",
                        Image = "bluegreen.dev/example-model-server:v1",
                        Env = [new V1EnvVar { Name = "ERROR_RATE", Value = errorRate }],
                        Ports = [new V1ContainerPort { ContainerPort = 8080 }],
                        ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/v2/health/ready", Port = 8080 }, PeriodSeconds = 1 },
                    },
                ],
            },
        };
        await Admin.CoreV1.CreateNamespacedPodAsync(pod, ns);
        return await Admin.WaitForPodAsync(ns, pod.Metadata.Name, p => p.IsReady() && p.Status.PodIP is not null, "to be ready");
    }

    static async Task PredictAsync(V1Pod pod, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var request = new JsonObject
            {
                ["inputs"] = new JsonArray(new JsonObject { ["name"] = "input-0", ["shape"] = new JsonArray(1, 4), ["datatype"] = "FP32", ["data"] = new JsonArray(5.1, 3.5, 1.4, 0.2) }),
            };
            using var _ = await Http.PostAsJsonAsync($"http://{pod.Status.PodIP}:8080/v2/models/iris/infer", request);
        }
    }

    /// <summary>One analysis run of tenant a, as the operator runs it, with this one query check.</summary>
    async Task<PodCheckResult> AnalyseAsync(string query, double? min = null, double? max = null)
    {
        var runner = new SmokeTestRunner(SmokeTestRunner.CreateHttpClient(), new PrometheusClient(prometheus.Address), NullLogger<SmokeTestRunner>.Instance);
        var check = new CheckSpec { Name = "query", Prometheus = new PrometheusCheckSpec { Query = query, Min = min, Max = max } };
        var report = await runner.RunAsync(new CheckRun(A, CheckKind.Analysis, Color.Green, "r1", [new CheckTarget("pod", "127.0.0.1")], [check]), CancellationToken.None);
        return report.Results.Single();
    }

    /// <summary>The spec's validation, as the planner runs it before anything is started.</summary>
    IReadOnlyList<string> Validate(string query) => SpecValidator.Validate(new BlueGreenDeployment
    {
        Metadata = new V1ObjectMeta { Name = "iris", NamespaceProperty = A },
        Spec = ModelRollout.Model("v1", "v1", edit: s => s.Analysis = new AnalysisSpec
        {
            IntervalSeconds = 15,
            Checks = [new CheckSpec { Name = "query", Prometheus = new PrometheusCheckSpec { Query = query, Max = 1 } }],
        }).Spec,
    });

    [Test]
    public async Task Should_read_only_the_tenants_own_series_through_a_plain_selector()
    {
        (await prometheus.QueryAsync("sum(model_requests_total)")).Should().Be(11, "unscoped, both namespaces answer");

        var result = await AnalyseAsync("sum(model_requests_total)", min: 3, max: 3);

        result.Passed.Should().BeTrue(result.Message);
    }

    [TestCase("sum(model_requests_total{namespace=\"{B}\"})")]
    [TestCase("sum(model_requests_total{namespace=~\".+\"})")]
    [TestCase("sum(model_requests_total{namespace!=\"{A}\"})")]
    [TestCase("sum(model_requests_total) + on() group_left sum(up{namespace=\"{B}\"})")]
    [TestCase("label_values(up, namespace)")]
    [TestCase("count(up @ 0)")]
    [TestCase("sum(model_requests_total) # {namespace=\"{B}\"}")]
    public async Task Should_refuse_a_query_that_names_another_namespace_or_cannot_be_scoped(string template)
    {
        var query = template.Replace("{A}", A, StringComparison.Ordinal).Replace("{B}", B, StringComparison.Ordinal);

        Validate(query).Should().ContainSingle().Which.Should().Contain($"cannot be scoped to namespace {A}");
        var result = await AnalyseAsync(query, max: 1000);
        result.Passed.Should().BeFalse();
        result.Message.Should().StartWith("query refused:");
    }

    [Test]
    public async Task Should_match_only_the_tenants_series_with_regex_matchers_and_any_metric_name()
    {
        var own = await prometheus.QueryAsync($"count({{__name__=~\".+\",namespace=\"{A}\"}})");
        var all = await prometheus.QueryAsync("count({__name__=~\".+\"})");
        all.Should().BeGreaterThan(own!.Value, "tenant b has series of its own");

        var names = await AnalyseAsync("count({__name__=~\".+\"})", min: own, max: own);
        var pods = await AnalyseAsync("count(model_requests_total{pod=~\".+\"})", min: 1, max: 1);
        var namespaces = await AnalyseAsync("count(count by (namespace) ({__name__=~\".+\"}))", min: 1, max: 1);

        names.Passed.Should().BeTrue(names.Message);
        pods.Passed.Should().BeTrue(pods.Message);
        namespaces.Passed.Should().BeTrue(namespaces.Message);
        (await prometheus.QueryAsync("count(count by (namespace) ({__name__=~\".+\"}))")).Should().Be(2);
    }

    [Test]
    public async Task Should_scope_the_selectors_inside_subqueries_and_functions()
    {
        (await prometheus.QueryAsync("max_over_time(sum(model_request_errors_total)[1m:1s])")).Should().Be(4, "tenant b's server failed 4 predictions");

        var errors = await AnalyseAsync("max_over_time(sum(model_request_errors_total)[1m:1s])", max: 0);
        var relabelled = await AnalyseAsync("sum(label_replace(model_requests_total, \"namespace\", \"elsewhere\", \"\", \"\"))", min: 3, max: 3);
        var rate = await AnalyseAsync("sum(rate(model_requests_total[1m])) or vector(0)", max: 1000);

        errors.Passed.Should().BeTrue(errors.Message);
        relabelled.Passed.Should().BeTrue(relabelled.Message);
        rate.Passed.Should().BeTrue(rate.Message);
    }

    [Test]
    public async Task Should_not_tell_whether_another_namespaces_series_exist()
    {
        var unscoped = await prometheus.QueryAsync($"absent(up{{pod=\"{podB}\"}})");
        unscoped.Should().BeNull("unscoped, absent() of an existing series is empty: a yes/no oracle");

        var existing = await AnalyseAsync($"absent(up{{pod=\"{podB}\"}})", min: 1);
        var invented = await AnalyseAsync("absent(up{pod=\"no-such-pod\"})", min: 1);
        var prefix = await AnalyseAsync($"count(up{{pod=~\"{podB[..^2]}.*\"}})", min: 1);

        existing.Passed.Should().BeTrue("the answer is the same whether or not the pod exists in another namespace: {0}", existing.Message);
        invented.Passed.Should().BeTrue(invented.Message);
        prefix.Message.Should().Be("query returned no samples");
    }

    [Test]
    public async Task Should_judge_a_release_by_its_own_namespaces_metrics_when_the_operator_runs_the_analysis()
    {
        await using var op = await OperatorProcess.StartAsync(A, environment: new Dictionary<string, string> { ["Operator__PrometheusUrl"] = prometheus.Address.ToString() });
        void Judged(BlueGreenDeploymentSpec spec)
        {
            spec.Replicas = 1;
            spec.Strategy.StabilizationSeconds = 25;
            spec.Analysis = new AnalysisSpec
            {
                IntervalSeconds = 10,
                FailureLimit = 1,
                // 3 predictions in this namespace, 11 in both: only a scoped query keeps the release.
                Checks = [new CheckSpec { Name = "requests", Prometheus = new PrometheusCheckSpec { Query = "sum(model_requests_total)", Max = 5 } }],
            };
        }

        await TenantObjects.CreateAsync(A, ModelRollout.Model("v1", "v1", edit: Judged));
        await TenantObjects.WaitForPhaseAsync(A, ModelRollout.Name, Phase.Healthy, op);
        var release = await TenantObjects.GetAsync(A, ModelRollout.Name);
        release.Spec = ModelRollout.Model("v2", "v2", edit: Judged).Spec;
        await Admin.CustomObjects.ReplaceNamespacedCustomObjectAsync(release, WellKnown.Group, WellKnown.Version, A, WellKnown.Plural, ModelRollout.Name);

        var judged = await BlueGreenOperator.LocalCluster.Eventually.WaitForAsync(
            async _ => (await TenantObjects.GetAsync(A, ModelRollout.Name)) is { Status.Analysis.Runs: > 0 } current ? current : null,
            TimeSpan.FromSeconds(120), $"an analysis run of v2 (operator log:\n{op.Log})");

        judged.Status!.Analysis!.Results.Should().OnlyContain(r => r.Passed, string.Join("; ", judged.Status.Analysis.Results!.Select(r => r.Message)));
        judged.Status.Analysis.Results.Should().ContainSingle(r => r.Name != PodGates.IdentityCheck, "the query check, beside the identity question");
        judged.Status.ActiveModelVersion.Should().Be("v2");
        judged.Status.Phase.Should().NotBe(Phase.RolledBack);
    }

    [Test]
    public async Task Should_tell_how_a_value_stands_to_the_bound_but_not_the_value()
    {
        var result = await AnalyseAsync("sum(model_requests_total)", max: 1);

        result.Message.Should().Be("value above max 1");
    }
}
