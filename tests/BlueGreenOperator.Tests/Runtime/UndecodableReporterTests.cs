using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BlueGreenOperator.Runtime;
using FluentAssertions;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Runtime;

[TestFixture]
public sealed class UndecodableReporterTests
{
    private static readonly DateTime Now = new(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
    private static readonly ApiResource Resource = new("bluegreen.dev", "v1alpha1", "bluegreendeployments");

    private HttpListener server = null!;
    private Task serving = null!;
    private Kubernetes client = null!;

    private ConcurrentQueue<(string Method, string Path, string ContentType, string Body)> Requests { get; } = new();

    [SetUp]
    public void SetUp()
    {
        Requests.Clear();
        var address = Loopback.FreeAddress();
        server = new HttpListener();
        server.Prefixes.Add(address.ToString());
        server.Start();
        serving = Task.Run(ServeAsync);
        client = new Kubernetes(new KubernetesClientConfiguration { Host = address.ToString() });
    }

    [TearDown]
    public async Task TearDown()
    {
        client.Dispose();
        server.Stop();
        server.Close();
        await serving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    [Test]
    public void Should_build_a_status_patch_guarded_by_the_resource_version_and_keep_other_conditions()
    {
        var status = Status("""
            {"phase":"Healthy","conditions":[
              {"type":"Ready","status":"True","reason":"Serving","message":"blue serves","lastTransitionTime":"2026-01-01T00:00:00Z"},
              {"type":"Degraded","status":"False","reason":"AsExpected","message":"No failure","lastTransitionTime":"2026-01-01T00:00:00Z"},
              {"type":"Broken"},
              "not an object"]}
            """);

        var patch = UndecodableReporter.StatusPatch(Undecodable(status), Now);

        var message = "Invalid spec: the object does not decode at $.spec.template.spec.containers: The JSON value could not be converted";
        JsonNode.DeepEquals(patch, JsonNode.Parse($$$"""
            {"status":{"phase":"Degraded","message":"{{{message}}}","conditions":[
              {"type":"Ready","status":"True","reason":"Serving","message":"blue serves","lastTransitionTime":"2026-01-01T00:00:00Z"},
              {"type":"Degraded","status":"True","reason":"InvalidSpec","message":"{{{message}}}","lastTransitionTime":"2026-01-02T03:04:05Z","observedGeneration":4},
              {"type":"Progressing","status":"False","reason":"InvalidSpec","message":"{{{message}}}","lastTransitionTime":"2026-01-02T03:04:05Z","observedGeneration":4}],
              "observedGeneration":4},
             "metadata":{"resourceVersion":"77"}}
            """)).Should().BeTrue(patch.ToJsonString());
    }

    [Test]
    public void Should_know_when_the_status_already_carries_the_report()
    {
        var undecodable = Undecodable(null);
        var reported = JsonSerializer.SerializeToElement(UndecodableReporter.StatusPatch(undecodable, Now)["status"]);

        UndecodableReporter.AlreadyReported(reported, UndecodableReporter.Message(undecodable), 4).Should().BeTrue();
        UndecodableReporter.AlreadyReported(reported, UndecodableReporter.Message(undecodable), 5).Should().BeFalse("a new generation is reported again");
        UndecodableReporter.AlreadyReported(reported, "Invalid spec: something else", 4).Should().BeFalse();
        UndecodableReporter.AlreadyReported(null, UndecodableReporter.Message(undecodable), 4).Should().BeFalse();
    }

    [Test]
    public async Task Should_write_each_report_once_as_a_merge_patch_on_the_status_subresource_with_an_event()
    {
        var reporter = new UndecodableReporter(client, Resource, "BlueGreenDeployment", NullLogger.Instance);
        var undecodable = Undecodable(Status("""{"phase":"Healthy"}"""));

        (await reporter.WriteAsync(undecodable, CancellationToken.None)).Should().BeTrue();
        (await reporter.WriteAsync(undecodable, CancellationToken.None)).Should().BeFalse("the same uid, resourceVersion and message are written once");
        var alreadySaid = undecodable with { ResourceVersion = "78" };
        (await reporter.WriteAsync(alreadySaid with { Status = JsonSerializer.SerializeToElement(UndecodableReporter.StatusPatch(alreadySaid, Now)["status"]) }, CancellationToken.None))
            .Should().BeFalse("our own write comes back as a new version that already says it");

        Requests.Select(r => (r.Method, r.Path)).Should().Equal(
            ("PATCH", "/apis/bluegreen.dev/v1alpha1/namespaces/ml/bluegreendeployments/fraud/status"),
            ("POST", "/api/v1/namespaces/ml/events"));
        var patch = Requests.First();
        patch.ContentType.Should().StartWith("application/merge-patch+json");
        JsonNode.Parse(patch.Body)!["status"]!["phase"]!.GetValue<string>().Should().Be("Degraded");
        JsonNode.Parse(Requests.Last().Body)!["reason"]!.GetValue<string>().Should().Be("InvalidSpec");
    }

    private static UndecodableObject Undecodable(JsonElement? status) =>
        new(new ObjectKey("ml", "fraud"), "uid-1", "77", 4, "$.spec.template.spec.containers", "The JSON value could not be converted") { Status = status };

    private static JsonElement Status(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private async Task ServeAsync()
    {
        while (server.IsListening)
        {
            var context = await server.GetContextAsync();
            using var reader = new StreamReader(context.Request.InputStream);
            Requests.Enqueue((context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.ContentType ?? "", await reader.ReadToEndAsync()));
            var body = Encoding.UTF8.GetBytes("{\"metadata\":{}}");
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }
}
