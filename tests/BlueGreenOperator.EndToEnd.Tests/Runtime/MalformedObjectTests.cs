using System.Text.Json;
using System.Text.Json.Nodes;
using BlueGreenOperator.Api;
using BlueGreenOperator.LocalCluster;
using BlueGreenOperator.LocalCluster.Testing;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Autorest;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests.Runtime;

/// <summary>
/// No single object, however malformed, stops the reconciles of others: most are refused at apply by the CRD's
/// schema; one the schema lets through but the operator cannot decode is reported on itself and skipped.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class MalformedObjectTests
{
    const string Affinity = "$.spec.template.spec.affinity.nodeAffinity";

    [Test]
    public async Task Should_reconcile_other_namespaces_while_an_undecodable_object_is_reported_before_and_after_a_restart()
    {
        await using var rollout = await ModelRollout.StartAsync(startOperator: false);
        await using var other = await TestNamespace.CreateAsync(ModelRollout.Client, "malformed");
        var watched = $"{rollout.Ns},{other.Name}";

        // Listed at start: an object whose pod affinity is a string (the schema keeps affinity opaque; the C# types do not).
        await CreateRawAsync(other.Name, "listed", Undecodable("listed"));
        rollout.Operator = await OperatorProcess.StartAsync(watched);
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
        await WaitReportedAsync(other.Name, "listed");

        // Arriving through the watch while the operator runs.
        await CreateRawAsync(other.Name, "watched", Undecodable("watched"));
        await WaitReportedAsync(other.Name, "watched");

        // A fresh process lists both again and still becomes ready and reconciles.
        await rollout.Operator.KillAsync();
        rollout.Operator = await OperatorProcess.StartAsync(watched);
        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v2");

        (await ModelRollout.Client.AppsV1.ListNamespacedDeploymentAsync(other.Name)).Items.Should().BeEmpty("nothing is done for an object the operator cannot read");
        var reports = (await ModelRollout.Client.CoreV1.ListNamespacedEventAsync(other.Name)).Items.Where(e => e.Reason == "InvalidSpec").ToList();
        reports.Select(e => e.InvolvedObject.Name).Should().BeEquivalentTo(["listed", "watched"], "each report is written once, not again by the restarted operator");
        var log = rollout.Operator.Log;
        log.Should().Contain($"{other.Name}/listed at resourceVersion").And.Contain("does not decode at " + Affinity);
        rollout.Monitor!.Violations.Should().BeEmpty();
    }

    [Test]
    public async Task Should_refuse_a_malformed_pod_template_at_apply_with_the_api_servers_message()
    {
        await using var ns = await TestNamespace.CreateAsync(ModelRollout.Client, "schema");
        var cases = new Dictionary<string, (string Path, JsonNode? Value)>
        {
            ["containers-string"] = ("containers", "x"),
            ["containers-empty"] = ("containers", new JsonArray()),
            ["container-without-image"] = ("containers", new JsonArray(new JsonObject { ["name"] = "server" })),
            ["port-text"] = ("containers", new JsonArray(new JsonObject { ["name"] = "s", ["image"] = "i", ["ports"] = new JsonArray(new JsonObject { ["containerPort"] = "http" }) })),
            ["env-number"] = ("containers", new JsonArray(new JsonObject { ["name"] = "s", ["image"] = "i", ["env"] = new JsonArray(new JsonObject { ["name"] = "A", ["value"] = 5 }) })),
            ["bad-quantity"] = ("containers", new JsonArray(new JsonObject { ["name"] = "s", ["image"] = "i", ["resources"] = new JsonObject { ["limits"] = new JsonObject { ["cpu"] = "lots" } } })),
        };

        foreach (var (name, (field, value)) in cases)
        {
            var body = Valid(name);
            body["spec"]!["template"]!["spec"]![field] = value;
            var act = () => CreateRawAsync(ns.Name, name, body);

            var refused = (await act.Should().ThrowAsync<HttpOperationException>($"{name} must be refused")).Which;
            refused.Response.StatusCode.Should().Be(System.Net.HttpStatusCode.UnprocessableEntity);
            refused.Response.Content.Should().Contain("spec.template.spec.containers", name);
        }
    }

    [Test]
    public async Task Should_still_accept_every_example_pod_template()
    {
        await using var ns = await TestNamespace.CreateAsync(ModelRollout.Client, "examples");
        var examples = Directory.EnumerateFiles(Shipping.SourceTree.PathOf("examples/iris"), "*.yaml").Order(StringComparer.Ordinal).ToList();
        examples.Should().NotBeEmpty();

        // As a user applies them: real kubectl, validated by the API server without being stored.
        foreach (var file in examples)
        {
            var applied = await Shipping.Kubectl.RunAsync("apply", "--dry-run=server", "--namespace", ns.Name, "--filename", file);
            applied.ExitCode.Should().Be(0, "{0} must pass the schema: {1}", Path.GetFileName(file), applied.Error);
        }

        var model = ModelRollout.Model("v1", "v1");
        model.Metadata.NamespaceProperty = ns.Name;
        await ModelRollout.Client.CustomObjects.CreateNamespacedCustomObjectAsync(model, WellKnown.Group, WellKnown.Version, ns.Name, WellKnown.Plural, dryRun: "All");
    }

    static JsonObject Valid(string name)
    {
        var model = ModelRollout.Model("v1", "v1");
        model.Metadata.Name = name;
        return JsonNode.Parse(KubernetesJson.Serialize(model))!.AsObject();
    }

    /// <summary>An object the CRD's schema accepts and the operator cannot decode: its pod affinity is a string.</summary>
    internal static JsonObject Undecodable(string name)
    {
        var body = Valid(name);
        body["spec"]!["template"]!["spec"]!["affinity"] = new JsonObject { ["nodeAffinity"] = "x" };
        return body;
    }

    internal static async Task CreateRawAsync(string ns, string name, JsonObject body)
    {
        body["metadata"]!["name"] = name;
        body["metadata"]!["namespace"] = ns;
        using var json = JsonDocument.Parse(body.ToJsonString());
        await ModelRollout.Client.CustomObjects.CreateNamespacedCustomObjectAsync(json.RootElement, WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural);
    }

    /// <summary>Waits for Degraded with an InvalidSpec condition naming the decoder's path, read as raw JSON (the typed client cannot read the object).</summary>
    internal static Task WaitReportedAsync(string ns, string name) => Eventually.UntilAsync(
        async ct =>
        {
            var raw = (JsonElement)await ModelRollout.Client.CustomObjects.GetNamespacedCustomObjectAsync(WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural, name, ct);
            if (!raw.TryGetProperty("status", out var status) || !status.TryGetProperty("conditions", out var conditions))
                return false;
            return status.GetProperty("phase").GetString() == Phase.Degraded
                && status.GetProperty("observedGeneration").GetInt64() == raw.GetProperty("metadata").GetProperty("generation").GetInt64()
                && conditions.EnumerateArray().Any(c => c.GetProperty("type").GetString() == "Degraded"
                    && c.GetProperty("status").GetString() == "True"
                    && c.GetProperty("reason").GetString() == "InvalidSpec"
                    && c.GetProperty("message").GetString()!.Contains(Affinity, StringComparison.Ordinal));
        },
        TimeSpan.FromSeconds(60), $"{ns}/{name} to be reported Degraded (InvalidSpec)");
}
