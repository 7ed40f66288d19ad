using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using BlueGreenOperator.EndToEnd.Tests.Tenancy;
using BlueGreenOperator.LocalCluster;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>
/// The chart's Grafana dashboard and alert rules against a real Prometheus that scrapes a running operator every
/// second and evaluates the rules, during a release that analysis rolls back: every panel query returns series, every
/// metric an alert reads exists, every rule evaluates without error, and the rollback alert fires.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class MonitoringTests
{
    const string Alerts = "charts/bluegreen-operator/files/alerts.yaml";
    const string Dashboard = "charts/bluegreen-operator/files/grafana-dashboard.json";

    [Test]
    public async Task Should_answer_every_dashboard_query_and_fire_the_rollback_alert_during_a_rolled_back_release()
    {
        await using var rollout = await ModelRollout.StartAsync();
        await using var prometheus = await PrometheusServer.StartAsync(
            [new ScrapeTarget($"127.0.0.1:{rollout.Operator.Port}", rollout.Ns, "bluegreen-operator")],
            job: "bluegreen-operator",
            ruleFiles: [SourceTree.PathOf(Alerts)]);
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");

        await rollout.ApplyAsync(ModelRollout.SlowRelease());
        await rollout.WaitForPhaseAsync(Phase.RolledBack, 120);

        var firing = await WaitForSeriesAsync(prometheus, "ALERTS{alertname=\"BlueGreenRolledBack\",alertstate=\"firing\"}", "the rollback alert to fire");
        firing.Single().Labels.Should().Contain("severity", "warning");
        var rules = await prometheus.RulesAsync();
        rules.Select(r => r.Name).Should().BeEquivalentTo(AlertNames());
        rules.Should().OnlyContain(r => r.Health == "ok", "every rule evaluates: {0}", string.Join("; ", rules.Select(r => $"{r.Name} {r.Health} {r.Error}")));
        (await prometheus.SeriesAsync("ALERTS{alertstate=\"firing\"}")).Select(s => s.Labels["alertname"])
            .Should().Equal(["BlueGreenRolledBack"], "the operator leads, reconciles without errors, and no release is overdue");

        foreach (var metric in AlertMetrics())
            (await WaitForSeriesAsync(prometheus, metric, $"the alerts' metric {metric}")).Should().NotBeEmpty();

        foreach (var (panel, query) in PanelQueries())
        {
            var series = await WaitForSeriesAsync(prometheus, query, $"panel \"{panel}\": {query}");
            TestContext.Out.WriteLine($"{panel}: {series.Count} series; {query}");
        }

        (await prometheus.QueryAsync("max(bluegreen_objects{phase=\"RolledBack\"})")).Should().Be(1, "the gauge tells the truth about the one object");
        (await prometheus.QueryAsync("sum(bluegreen_objects)")).Should().Be(1);
        (await prometheus.QueryAsync("sum(bluegreen_leader)")).Should().Be(1);
        (await prometheus.QueryAsync("max(bluegreen_releases_overdue)")).Should().Be(0);
        (await prometheus.QueryAsync("sum(bluegreen_check_duration_seconds_count{kind=\"analysis\",outcome=\"fail\"})")).Should().BeGreaterThanOrEqualTo(2, "two analysis runs failed in a row");
        await rollout.AssertInvariantsHeldAsync();
    }

    static async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> WaitForSeriesAsync(PrometheusServer prometheus, string query, string what)
    {
        IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)> series = [];
        await Eventually.UntilAsync(
            async _ => (series = await prometheus.SeriesAsync(query)).Count > 0,
            TimeSpan.FromSeconds(60), $"{what} to return series (log:\n{prometheus.Log})", interval: TimeSpan.FromMilliseconds(500));
        return series;
    }

    static IEnumerable<(string Panel, string Query)> PanelQueries() =>
        JsonNode.Parse(File.ReadAllText(SourceTree.PathOf(Dashboard)))!["panels"]!.AsArray()
            .SelectMany(panel => panel!["targets"]!.AsArray().Select(target => ((string)panel["title"]!, (string)target!["expr"]!)));

    static IEnumerable<string> AlertNames() => AlertRuleLine().Matches(File.ReadAllText(SourceTree.PathOf(Alerts))).Select(m => m.Groups[1].Value);

    /// <summary>Every metric the alert expressions read: a misspelt name would make an alert that never fires.</summary>
    static IEnumerable<string> AlertMetrics() =>
        ExpressionLine().Matches(File.ReadAllText(SourceTree.PathOf(Alerts)))
            .SelectMany(m => MetricName().Matches(m.Groups[1].Value).Select(n => n.Value))
            .Distinct();

    [GeneratedRegex(@"^\s*- alert: (\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex AlertRuleLine();

    [GeneratedRegex(@"^\s*expr: (.+)$", RegexOptions.Multiline)]
    private static partial Regex ExpressionLine();

    [GeneratedRegex(@"\bbluegreen_[a-z_]+")]
    private static partial Regex MetricName();
}
