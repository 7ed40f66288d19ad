using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BlueGreenOperator.LocalCluster;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>
/// <c>kubectl explain</c> against the real API server: the CRD's field descriptions (checked against the C# documentation
/// by <c>CrdAgreementTests</c>) are what the API server publishes and what kubectl prints.
/// </summary>
[TestFixture]
public sealed partial class KubectlExplainTests
{
    const string Definition = "dev.bluegreen.v1alpha1.BlueGreenDeployment";

    static V1JSONSchemaProps Schema() =>
        KubernetesYaml.Deserialize<V1CustomResourceDefinition>(File.ReadAllText(BuildOutputs.CrdPath)).Spec.Versions.Single().Schema.OpenAPIV3Schema;

    [Test]
    public async Task Should_publish_the_crds_description_of_every_field_outside_the_kept_as_written_parts()
    {
        var published = await PublishedDefinitionAsync();
        var differences = new List<string>();
        var withheld = new List<string>();
        var compared = 0;

        Walk("", Schema(), published, differences, withheld, ref compared);

        TestContext.Out.WriteLine($"{compared} field descriptions published as the CRD has them; {withheld.Count} fields withheld " +
            "(under nodes that keep unknown fields, published without their properties):");
        foreach (var path in withheld)
            TestContext.Out.WriteLine($"  {path}");
        differences.Should().BeEmpty();
        compared.Should().BeGreaterThan(300);
        foreach (var field in new[] { "apiVersion", "kind", "metadata" })
            ((string?)published["properties"]?[field]?["description"]).Should().NotBeNullOrWhiteSpace("the API server describes {0} itself", field);
    }

    [Test]
    public async Task Should_print_each_fields_description_in_kubectl_explain()
    {
        var schema = Schema();
        await PublishedDefinitionAsync();
        string[] fields =
        [
            "spec.strategy",
            "spec.strategy.progressDeadlineSeconds",
            "spec.smokeTests.http.expectStatus",
            "spec.replay.maxLatencyRatio",
            "spec.template",
            "spec.template.spec",
            "status.phase",
            "status.parity.agreement",
            "status.conditions.reason",
        ];

        foreach (var field in fields)
        {
            var explained = await Kubectl.RunAsync("explain", $"bluegreendeployment.{field}");
            TestContext.Out.WriteLine($"$ kubectl explain bluegreendeployment.{field}\n{explained.Output}{explained.Error}");
            explained.ExitCode.Should().Be(0, "kubectl explain {0} must succeed: {1}", field, explained.Error);
            var node = At(schema, field);
            OneLine(explained.Output).Should().Contain($"DESCRIPTION: {OneLine(node.Description)}", "kubectl explain {0} prints the CRD's description", field);
            // A node that keeps unknown fields is published without its properties (OpenAPI v2 has no way to say "and others").
            var listed = node.XKubernetesPreserveUnknownFields == true ? null : node.Properties;
            foreach (var (name, child) in listed ?? new Dictionary<string, V1JSONSchemaProps>())
                OneLine(explained.Output).Should().Contain($"{name} <", "kubectl lists {0}.{1}", field, name)
                    .And.Contain(OneLine(child.Description), "kubectl explain {0} describes {1}", field, name);
        }
    }

    // Waits until the API server publishes the CRD's schema (it does so shortly after the CRD is established).
    static async Task<JsonObject> PublishedDefinitionAsync() =>
        await Eventually.WaitForAsync(
            async ct =>
            {
                var document = JsonNode.Parse(await Kubectl.RunCheckedAsync("get", "--raw", "/openapi/v2"))!;
                return document["definitions"]?[Definition] as JsonObject;
            },
            TimeSpan.FromSeconds(60), $"the API server to publish {Definition}", interval: TimeSpan.FromSeconds(1));

    // Every property the CRD has is published with the CRD's description, except the API server's own (apiVersion, kind,
    // metadata) and the properties of a node that keeps unknown fields: OpenAPI v2 cannot say "these and any others".
    static void Walk(string path, V1JSONSchemaProps crd, JsonObject published, List<string> differences, List<string> withheld, ref int compared)
    {
        if (crd.Items is not null && published["items"] is JsonObject items)
            Walk(path + "[]", Node(crd.Items), items, differences, withheld, ref compared);
        foreach (var (name, child) in crd.Properties ?? new Dictionary<string, V1JSONSchemaProps>())
        {
            var childPath = $"{path}.{name}";
            if (childPath is ".apiVersion" or ".kind" or ".metadata")
                continue;
            if (published["properties"]?[name] is not JsonObject publishedChild)
            {
                if (crd.XKubernetesPreserveUnknownFields == true)
                    withheld.Add(childPath);
                else
                    differences.Add($"{childPath}: not published");
                continue;
            }
            var description = (string?)publishedChild["description"];
            if (description != child.Description)
                differences.Add($"{childPath}: the API server publishes \"{description}\", the CRD says \"{child.Description}\"");
            compared++;
            Walk(childPath, child, publishedChild, differences, withheld, ref compared);
        }
    }

    static V1JSONSchemaProps At(V1JSONSchemaProps schema, string field)
    {
        foreach (var name in field.Split('.'))
        {
            while (schema.Type == "array")
                schema = Node(schema.Items);
            schema = schema.Properties[name];
        }
        return schema;
    }

    static V1JSONSchemaProps Node(object node) =>
        node as V1JSONSchemaProps ?? KubernetesJson.Deserialize<V1JSONSchemaProps>(KubernetesJson.Serialize(node));

    // kubectl wraps descriptions to the terminal's width; words and their order are what count.
    static string OneLine(string? text) => Whitespace().Replace(text ?? "", " ").Trim();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
