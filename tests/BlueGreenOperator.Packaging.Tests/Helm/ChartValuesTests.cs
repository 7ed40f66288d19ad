using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace BlueGreenOperator.Packaging.Tests.Helm;

[TestFixture]
internal sealed class ChartValuesTests
{
    [TestCase("replicaCount=-1", "/replicaCount")]
    [TestCase("replicaCount=0", "/replicaCount")]
    [TestCase("replicsCount=2", "replicsCount")]
    [TestCase("image.bogus=x", "bogus")]
    [TestCase("image.pullPolicy=Sometimes", "/image/pullPolicy")]
    [TestCase("watchNamespaces[0]=Not_A_Namespace", "/watchNamespaces/0")]
    [TestCase("workers=0", "/workers")]
    [TestCase("memoryTrimAfterMiB=-1", "/memoryTrimAfterMiB")]
    [TestCase("leaderElection.enabled=maybe", "/leaderElection/enabled")]
    [TestCase("metrics.service.port=70000", "/metrics/service/port")]
    [TestCase("health.maxReconcileSeconds=1", "/health/maxReconcileSeconds")]
    [TestCase("health.bogus=1", "bogus")]
    [TestCase("telemetry.otlpEndpoint=collector:4317", "/telemetry/otlpEndpoint")]
    public async Task Should_reject_a_bad_value_through_the_schema(string assignment, string reported)
    {
        var result = await HelmCli.TemplateAsync("--set", assignment);

        result.ExitCode.Should().NotBe(0, "values.schema.json must reject {0}", assignment);
        result.StandardError.Should().Contain("schema").And.Contain(reported);
    }

    [Test]
    public void Should_document_every_value_in_values_yaml_the_schema_and_the_docs()
    {
        var schema = JsonNode.Parse(SourceTree.ReadText("charts/bluegreen-operator/values.schema.json"))!;
        var docs = SourceTree.ReadText("docs/helm.md");
        var valuesLines = SourceTree.ReadText("charts/bluegreen-operator/values.yaml").Split('\n');
        var values = new YamlStream();
        values.Load(new StringReader(SourceTree.ReadText("charts/bluegreen-operator/values.yaml")));

        var leaves = Leaves((YamlMappingNode)values.Documents.Single().RootNode, schema, prefix: string.Empty).ToList();

        leaves.Should().HaveCountGreaterThan(20);
        foreach (var (path, line) in leaves)
        {
            docs.Should().Contain($"| `{path}` |", "docs/helm.md has a row for {0}", path);
            var above = valuesLines[line - 2].Trim();
            above.Should().StartWith("#", "values.yaml explains {0} in a comment right above it", path);
        }
    }

    [Test]
    public void Should_keep_every_ci_variant_documented()
    {
        var docs = SourceTree.ReadText("docs/helm.md");

        foreach (var variant in HelmCli.Variants().OfType<string>())
        {
            docs.Should().Contain($"ci/{variant}");
        }
    }

    /// <summary>Values the schema describes as a whole (no nested properties) with the line they start on; fails on keys the schema lacks.</summary>
    private static IEnumerable<(string Path, int Line)> Leaves(YamlMappingNode mapping, JsonNode schema, string prefix)
    {
        foreach (var (keyNode, valueNode) in mapping.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value!;
            var path = prefix.Length == 0 ? key : $"{prefix}.{key}";
            var property = schema["properties"]?[key];
            property.Should().NotBeNull("values.schema.json describes {0}", path);
            if (property!["properties"] is not null && valueNode is YamlMappingNode nested)
            {
                foreach (var leaf in Leaves(nested, property, path))
                {
                    yield return leaf;
                }
            }
            else
            {
                yield return (path, (int)keyNode.Start.Line);
            }
        }
    }
}
