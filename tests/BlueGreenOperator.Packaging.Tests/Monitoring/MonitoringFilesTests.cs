using System.Text.Json.Nodes;
using BlueGreenOperator.Packaging.Tests.Helm;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Packaging.Tests.Monitoring;

/// <summary>
/// The alert rules and the Grafana dashboard the chart ships: the rules pass promtool's checks and unit tests, and the
/// chart carries both files unchanged. (Every query is evaluated against a real Prometheus scraping a running operator
/// in the end-to-end suite.)
/// </summary>
public sealed class MonitoringFilesTests
{
    const string Alerts = "charts/bluegreen-operator/files/alerts.yaml";
    const string Dashboard = "charts/bluegreen-operator/files/grafana-dashboard.json";
    const string AlertTests = "tests/BlueGreenOperator.Packaging.Tests/Monitoring/alerts.test.yaml";
    const string Promtool = "/usr/bin/promtool";

    static readonly string[] MonitoringVariant = HelmCli.Variant("monitoring-values.yaml");

    [Test]
    public async Task Should_pass_promtools_rule_check()
    {
        var result = await ExternalCommand.RunAsync(RequirePromtool(), ["check", "rules", SourceTree.PathOf(Alerts)]);

        result.ExitCode.Should().Be(0, result.Describe());
        result.StandardOutput.Should().Contain("SUCCESS: 4 rules found");
    }

    [Test]
    public async Task Should_fire_each_alert_when_its_unit_tests_say_and_not_before()
    {
        var result = await ExternalCommand.RunAsync(RequirePromtool(), ["test", "rules", Path.GetFileName(AlertTests)], Path.GetDirectoryName(SourceTree.PathOf(AlertTests)));

        result.ExitCode.Should().Be(0, result.Describe());
        var tests = new YamlDotNet.Serialization.DeserializerBuilder()
            .WithNamingConvention(YamlDotNet.Serialization.NamingConventions.UnderscoredNamingConvention.Instance)
            .Build()
            .Deserialize<AlertTestFile>(SourceTree.ReadText(AlertTests));
        var tested = tests.Tests
            .SelectMany(t => t.AlertRuleTest).Select(t => t.Alertname).ToHashSet();
        tested.Should().BeEquivalentTo(AlertNames(ReadRuleFile()), "every alert has unit tests");
    }

    [Test]
    public async Task Should_ship_the_rule_file_unchanged_as_a_PrometheusRule_when_enabled()
    {
        var chart = await HelmCli.RenderAsync(MonitoringVariant);

        var rule = chart.Single<PrometheusRule>();
        rule.Spec.Groups.Should().BeEquivalentTo(ReadRuleFile().Groups, options => options.WithStrictOrdering());
        rule.Metadata.Labels.Should().Contain("release", "prometheus", "the values' labels let a Prometheus select the rules");
        rule.Spec.Groups.SelectMany(g => g.Rules).Should().OnlyContain(r => r.Annotations["description"].Contains("{{") == r.Annotations["description"].Contains("$value"),
            "Prometheus's own templates survive Helm's rendering");
    }

    [Test]
    public async Task Should_ship_the_dashboard_unchanged_in_a_ConfigMap_for_grafanas_sidecar_when_enabled()
    {
        var chart = await HelmCli.RenderAsync(MonitoringVariant);

        var map = chart.All<V1ConfigMap>().Should().ContainSingle(m => m.Metadata.Name.EndsWith("-dashboard")).Subject;
        map.Metadata.Labels.Should().Contain("grafana_dashboard", "1");
        JsonNode.DeepEquals(JsonNode.Parse(map.Data["bluegreen-operator.json"]), JsonNode.Parse(SourceTree.ReadText(Dashboard))).Should().BeTrue();
    }

    [Test]
    public async Task Should_render_neither_by_default()
    {
        var chart = await HelmCli.RenderAsync();

        chart.All<PrometheusRule>().Should().BeEmpty();
        chart.All<V1ConfigMap>().Should().BeEmpty();
    }

    [Test]
    public void Should_give_every_dashboard_panel_a_query_without_grafana_variables_and_a_description()
    {
        var panels = JsonNode.Parse(SourceTree.ReadText(Dashboard))!["panels"]!.AsArray();

        panels.Should().NotBeEmpty();
        foreach (var panel in panels)
        {
            var title = (string)panel!["title"]!;
            ((string?)panel["description"]).Should().NotBeNullOrWhiteSpace(title);
            var targets = panel["targets"]!.AsArray().Select(t => (string)t!["expr"]!).ToList();
            targets.Should().NotBeEmpty(title).And.OnlyContain(e => e.Contains("bluegreen_") && !e.Contains('$'),
                "{0}: each query names the operator's metrics and runs on a plain Prometheus as it is", title);
        }
    }

    static RuleFile ReadRuleFile() => KubernetesYaml.Deserialize<RuleFile>(SourceTree.ReadText(Alerts));

    static IEnumerable<string> AlertNames(RuleFile file) => file.Groups.SelectMany(g => g.Rules).Select(r => r.Alert);

    static string RequirePromtool() =>
        File.Exists(Promtool) ? Promtool : throw new AssertionException($"{Promtool} is missing: hack/prereqs.sh installs Debian's prometheus package, which ships it");
}

/// <summary>A promtool unit test file (its keys are snake_case).</summary>
internal sealed class AlertTestFile
{
    public List<string> RuleFiles { get; set; } = [];

    public string EvaluationInterval { get; set; } = string.Empty;

    public List<AlertTestCase> Tests { get; set; } = [];
}

internal sealed class AlertTestCase
{
    public string Name { get; set; } = string.Empty;

    public string Interval { get; set; } = string.Empty;

    public List<Dictionary<string, string>> InputSeries { get; set; } = [];

    public List<AlertRuleTest> AlertRuleTest { get; set; } = [];
}

internal sealed class AlertRuleTest
{
    public string EvalTime { get; set; } = string.Empty;

    public string Alertname { get; set; } = string.Empty;

    public List<ExpectedAlert> ExpAlerts { get; set; } = [];
}

internal sealed class ExpectedAlert
{
    public Dictionary<string, string> ExpLabels { get; set; } = [];

    public Dictionary<string, string> ExpAnnotations { get; set; } = [];
}
