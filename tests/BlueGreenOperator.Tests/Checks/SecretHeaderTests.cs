using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Tests.Runtime;
using FluentAssertions;
using Microsoft.AspNetCore.Http;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Checks.Probing;

namespace BlueGreenOperator.Tests.Checks;

/// <summary>
/// Check headers from Secrets: sent to the pod, read once per run from the object's namespace, and never shown: not in
/// results, log lines or spans, even when the pod echoes them back in a failing answer.
/// </summary>
[TestFixture]
public sealed class SecretHeaderTests
{
    const string Token = "s3cr3t-t0ken-9f8e7d6c5b4a";

    LocalHttpServer pod = null!;
    readonly ConcurrentQueue<Activity> spans = new();
    ActivityListener tracing = null!;

    [SetUp]
    public async Task Start()
    {
        // Answers 200 only to the right credentials, and echoes every header it got in a failing answer (and on /echo).
        pod = await LocalHttpServer.StartAsync((request, context) =>
        {
            var echo = string.Join("; ", request.Headers.Select(h => $"{h.Key}: {h.Value}"));
            var authorized = request.Headers.GetValueOrDefault("Authorization") == $"Bearer {Token}";
            if (request.PathAndQuery.StartsWith("/echo", StringComparison.Ordinal) || !authorized)
                return LocalHttpServer.WriteJsonAsync(context, $$"""{"error":"unauthorized","seen":"{{echo}}"}""", StatusCodes.Status401Unauthorized);
            return request.PathAndQuery.Contains("infer", StringComparison.Ordinal)
                ? LocalHttpServer.WriteJsonAsync(context, """{"outputs":[{"name":"output-0","data":[0]}]}""")
                : LocalHttpServer.WriteJsonAsync(context, $$"""{"token":"{{Token}}","ok":true}""");
        });
        tracing = new ActivityListener
        {
            ShouldListenTo = source => source.Name == BlueGreenOperator.Runtime.OperatorTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(tracing);
    }

    [TearDown]
    public async Task Stop()
    {
        tracing.Dispose();
        await pod.DisposeAsync();
    }

    static SecretHeaderSpec Bearer(string secret = "model-token", string key = "token") =>
        new() { Name = "Authorization", Prefix = "Bearer ", ValueFrom = new HeaderValueSource { SecretKeyRef = new SecretKeyReference { Name = secret, Key = key } } };

    static Secrets Namespace(string ns = Probing.Namespace, string value = Token) => new(ns, new Dictionary<string, IDictionary<string, byte[]>>
    {
        ["model-token"] = new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes(value), ["other"] = "x"u8.ToArray() },
    });

    (SmokeTestRunner Runner, CapturingLogger<SmokeTestRunner> Log) Runner(ICheckSecrets secrets)
    {
        var log = new CapturingLogger<SmokeTestRunner>();
        return (new SmokeTestRunner(Client, new PrometheusClient(null), log, secrets: secrets), log);
    }

    [Test]
    public async Task Should_send_a_header_from_a_secret_of_the_objects_namespace_with_its_prefix()
    {
        var secrets = Namespace();
        var (runner, _) = Runner(secrets);
        var http = Http("authorized", new HttpCheckSpec { Port = pod.Port, Path = "/v2/health/ready", SecretHeaders = [Bearer()], ExpectJson = [new JsonFieldExpectation { Path = "ok", EqualTo = "true" }] });
        var golden = Golden(pod.Port, edit: c => c.Inference!.SecretHeaders = [Bearer()]);

        var report = await runner.RunAsync(Smoke(Pods(3), http, golden), CancellationToken.None);

        report.Passed.Should().BeTrue(report.Summary);
        pod.Received.Should().HaveCount(6).And.OnlyContain(r => r.Headers["Authorization"] == $"Bearer {Token}");
        secrets.Reads.Should().Equal("ml-serving/model-token");
    }

    [Test]
    public async Task Should_never_show_the_value_even_when_the_pod_echoes_it_back()
    {
        var (runner, log) = Runner(Namespace());
        var echo = Http("echo", new HttpCheckSpec { Port = pod.Port, Path = "/echo", SecretHeaders = [Bearer()] });
        var field = Http("field", new HttpCheckSpec { Port = pod.Port, Path = "/", SecretHeaders = [Bearer()], ExpectJson = [new JsonFieldExpectation { Path = "token", EqualTo = "guess" }] });
        var contains = Http("contains", new HttpCheckSpec { Port = pod.Port, Path = "/", SecretHeaders = [Bearer()], ExpectBodyContains = "absent" });

        var report = await runner.RunAsync(Smoke(Pods(2), echo, field, contains), CancellationToken.None);

        report.Results.Should().HaveCount(6).And.OnlyContain(r => !r.Passed);
        var shown = report.Results.Select(r => r.Message)
            .Concat([report.Summary])
            .Concat(CheckSummary.Aggregate(report.Results).Select(r => r.Message!))
            .Concat(log.Lines.Select(l => l.Message))
            .Concat(spans.SelectMany(s => s.Tags.Select(t => t.Value ?? "").Append(s.StatusDescription ?? "")))
            .ToList();
        var beginning = Token[..8];
        shown.Should().NotContain(text => text.Contains(Token) || text.Contains(beginning), "no part of the secret's value is shown anywhere");
        report.Results.First(r => r.Name == "echo").Message.Should().Contain($"Authorization: Bearer {Redactor.Mark}");
        report.Results.First(r => r.Name == "field").Message.Should().Be($"expectJson token: expected \"guess\", actual \"{Redactor.Mark}\"");
        report.Results.First(r => r.Name == "contains").Message.Should().Contain($"\"token\":\"{Redactor.Mark}\"");
    }

    [Test]
    public async Task Should_redact_a_value_cut_by_the_end_of_the_excerpt()
    {
        // The echoed value starts right where a 200-character excerpt would end.
        var value = new string('k', 60);
        var padding = new string('p', 190 - """{"error":"unauthorized","seen":" """.Length);
        var (runner, _) = Runner(Namespace(value: value));
        await using var echoing = await LocalHttpServer.StartAsync((request, context) =>
            LocalHttpServer.WriteJsonAsync(context, $$"""{"error":"unauthorized","seen":"{{padding}}{{request.Headers["Authorization"]}}{{new string('z', 2000)}}"}""", 401));
        var check = Http("echo", new HttpCheckSpec { Port = echoing.Port, Path = "/", SecretHeaders = [Bearer()] });

        var report = await runner.RunAsync(Smoke(Pods(1), check), CancellationToken.None);

        report.Results.Single().Message.Should().NotContain("kkkk");
    }

    [TestCase("missing-secret", "token", "header Authorization: Secret missing-secret not found in namespace ml-serving")]
    [TestCase("model-token", "missing-key", "header Authorization: Secret model-token has no key missing-key")]
    public async Task Should_fail_a_check_whose_secret_or_key_is_missing_without_calling_the_pod(string secret, string key, string reason)
    {
        var (runner, _) = Runner(Namespace());
        var check = Http("authorized", new HttpCheckSpec { Port = pod.Port, Path = "/", SecretHeaders = [Bearer(secret, key)] });

        var report = await runner.RunAsync(Smoke(Pods(2), check), CancellationToken.None);

        report.Results.Should().HaveCount(2).And.OnlyContain(r => r.Message == reason);
        pod.Received.Should().BeEmpty();
    }

    [Test]
    public async Task Should_read_secrets_of_the_objects_namespace_only()
    {
        var secrets = Namespace(ns: "tenant-b");
        var (runner, _) = Runner(secrets);
        var check = Http("authorized", new HttpCheckSpec { Port = pod.Port, Path = "/", SecretHeaders = [Bearer()] });

        var report = await runner.RunAsync(Smoke(Pods(1), check) with { Namespace = "tenant-a" }, CancellationToken.None);

        report.Results.Single().Message.Should().Be("header Authorization: Secret model-token not found in namespace tenant-a");
        secrets.Reads.Should().Equal("tenant-a/model-token");
    }

    [TestCase("tok\n", "a trailing line break")]
    [TestCase("", "empty")]
    public async Task Should_refuse_a_secret_value_no_header_can_carry(string value, string what)
    {
        var (runner, _) = Runner(Namespace(value: value));
        var check = Http("authorized", new HttpCheckSpec { Port = pod.Port, Path = "/", SecretHeaders = [Bearer()] });

        var report = await runner.RunAsync(Smoke(Pods(1), check), CancellationToken.None);

        report.Results.Single().Message.Should().StartWith("header Authorization: Secret model-token key token is not a header value", what);
        pod.Received.Should().BeEmpty();
    }

    [Test]
    public async Task Should_say_the_chart_grants_secret_reads_when_the_operator_may_not_read_one()
    {
        var (runner, _) = Runner(new Forbidden());
        var check = Http("authorized", new HttpCheckSpec { Port = pod.Port, Path = "/", SecretHeaders = [Bearer()] });

        var report = await runner.RunAsync(Smoke(Pods(1), check), CancellationToken.None);

        report.Results.Single().Message.Should().Be("header Authorization: Secret model-token could not be read: forbidden; enable checkCredentials");
    }

    static IEnumerable<TestCaseData> BadSecretHeaders()
    {
        yield return Case("name not a header", h => h.Name = "Bad Header", "must be an HTTP header name");
        yield return Case("header the client sets", h => h.Name = "Host", "is set by the client");
        yield return Case("no reference", h => h.ValueFrom = null!, "valueFrom.secretKeyRef is required");
        yield return Case("secret name not a name", h => h.ValueFrom.SecretKeyRef.Name = "../other", "must name a Secret");
        yield return Case("key not a key", h => h.ValueFrom.SecretKeyRef.Key = "a/b", "must be a Secret key");
        yield return Case("prefix with a line break", h => h.Prefix = "Bearer\n", "prefix must be");
    }

    static TestCaseData Case(string name, Action<SecretHeaderSpec> edit, string expected) =>
        new TestCaseData(edit, expected).SetName("Should_refuse_a_secret_header_with_" + name.Replace(' ', '_'));

    [TestCaseSource(nameof(BadSecretHeaders))]
    public void Should_refuse_a_bad_secret_header_as_invalid_spec(Action<SecretHeaderSpec> edit, string expected)
    {
        var header = Bearer();
        edit(header);

        SpecValidator.Validate(WithHeaders([header])).Should().ContainSingle().Which.Should().Contain("secretHeaders[0]").And.Contain(expected);
    }

    [Test]
    public void Should_refuse_a_header_set_both_inline_and_from_a_secret_and_more_than_eight()
    {
        var resource = WithHeaders([Bearer()]);
        resource.Spec.SmokeTests[0].Http!.Headers = new Dictionary<string, string> { ["authorization"] = "inline" };
        SpecValidator.Validate(resource).Should().ContainSingle().Which.Should().Contain("is set twice");

        var many = WithHeaders([.. Enumerable.Range(0, 9).Select(i => new SecretHeaderSpec { Name = $"X-{i}", ValueFrom = Bearer().ValueFrom })]);
        SpecValidator.Validate(many).Should().ContainSingle().Which.Should().Contain("at most 8");
    }

    [Test]
    public void Should_accept_secret_headers_on_http_and_inference_checks()
    {
        var resource = WithHeaders([Bearer()]);
        resource.Spec.SmokeTests.Add(Golden(8080, edit: c => c.Inference!.SecretHeaders = [Bearer()]));

        SpecValidator.Validate(resource).Should().BeEmpty();
    }

    static BlueGreenDeployment WithHeaders(IList<SecretHeaderSpec> headers) => new()
    {
        Metadata = new k8s.Models.V1ObjectMeta { Name = "fraud-model", NamespaceProperty = Probing.Namespace },
        Spec = new BlueGreenDeploymentSpec
        {
            Model = new ModelSpec { Name = "iris", Version = "v1" },
            Template = new k8s.Models.V1PodTemplateSpec { Spec = new k8s.Models.V1PodSpec { Containers = [new k8s.Models.V1Container { Name = "server", Image = "iris:v1" }] } },
            Service = new ServiceSpec { Name = "fraud-model", Ports = [new ServicePortSpec { Port = 80, TargetPort = 8080 }] },
            SmokeTests = [Http("authorized", new HttpCheckSpec { Port = 8080, SecretHeaders = headers })],
        },
    };

    /// <summary>Secrets of one namespace, as the API server would return them; records each read.</summary>
    sealed class Secrets(string ns, Dictionary<string, IDictionary<string, byte[]>> byName) : ICheckSecrets
    {
        public ConcurrentQueue<string> Reads { get; } = new();

        public Task<IDictionary<string, byte[]>?> ReadAsync(string inNamespace, string name, CancellationToken ct)
        {
            Reads.Enqueue($"{inNamespace}/{name}");
            return Task.FromResult(inNamespace == ns && byName.TryGetValue(name, out var data) ? data : null);
        }
    }

    sealed class Forbidden : ICheckSecrets
    {
        public Task<IDictionary<string, byte[]>?> ReadAsync(string ns, string name, CancellationToken ct) =>
            throw new CheckSecretUnreadableException("forbidden; enable checkCredentials");
    }
}
