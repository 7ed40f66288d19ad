using System.Globalization;
using BlueGreenOperator.LocalCluster.Testing;
using k8s;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace BlueGreenOperator.Plugin.Tests.EndToEnd;

/// <summary>
/// <c>kubectl bluegreen dashboard</c> through the real kubectl against a real kube-apiserver, looked at in a real
/// chromium. No operator runs here: the tests write status and Events as the operator would. The rollout with a
/// running operator is in the end-to-end suite (DashboardDuringRolloutTests).
/// </summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class DashboardBrowserTests
{
    private const int ManyObjects = 250;

    private TestNamespace space = null!;

    private static IKubernetes Client => PluginCluster.Client;

    private NamespaceObjects Objects => new(Client, space.Name);

    [SetUp]
    public async Task CreateNamespaceAsync() =>
        space = await TestNamespace.CreateAsync(Client, "dashboard-" + TestContext.CurrentContext.Test.MethodName);

    [TearDown]
    public async Task DeleteNamespaceAsync() => await space.DisposeAsync();

    private Task<DashboardSession> OpenDashboardAsync() =>
        DashboardSession.StartAsync(PluginCluster.KubectlPath, ["bluegreen", "dashboard", "--port", "0", "-n", space.Name],
            InstalledPlugin.Environment(PluginCluster.PluginBin, PluginCluster.Kubeconfig));

    [Test]
    public async Task Should_list_hundreds_of_objects_narrow_them_with_the_filter_and_update_one_row_in_place()
    {
        var names = Enumerable.Range(0, ManyObjects).Select(i => $"model-{i.ToString("000", CultureInfo.InvariantCulture)}").ToList();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (name, _) =>
            await Objects.CreateAsync(Samples.Object(name, space.Name, Samples.Stabilizing().Status)));
        await using var dashboard = await OpenDashboardAsync();
        var page = dashboard.Page;

        await Expect(page.Locator("#objects tbody tr")).ToHaveCountAsync(ManyObjects);
        await Expect(page.Locator("#count")).ToHaveTextAsync($"{ManyObjects} of {ManyObjects} shown");
        await Expect(dashboard.Row(space.Name, "model-042").Locator("td.serving")).ToHaveTextAsync("green (2026-11-20)");
        await Expect(dashboard.Row(space.Name, "model-042").Locator("td.standby")).ToHaveTextAsync("blue (2026-11-01)");
        await dashboard.ScreenshotAsync("all-objects");

        await page.Locator("#filter").FillAsync("model-17");
        await Expect(page.Locator("#objects tbody tr:visible")).ToHaveCountAsync(10);
        await Expect(page.Locator("#count")).ToHaveTextAsync($"10 of {ManyObjects} shown");
        await dashboard.ScreenshotAsync("filtered");
        await page.Locator("#filter").FillAsync("");
        await Expect(page.Locator("#objects tbody tr:visible")).ToHaveCountAsync(ManyObjects);

        // Mark two row elements: an update must change the one row's cells, not rebuild the table.
        await dashboard.Row(space.Name, "model-042").EvaluateAsync("row => row.dataset.marked = 'before'");
        await dashboard.Row(space.Name, "model-000").EvaluateAsync("row => row.dataset.marked = 'before'");
        var rolledBack = Samples.RolledBack().Status!;
        await Objects.WriteStatusAsync(await Objects.ReadAsync("model-042"), rolledBack);

        await Expect(dashboard.Row(space.Name, "model-042").Locator("td.phase")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^RolledBack"));
        await Expect(dashboard.Row(space.Name, "model-042").Locator("td.serving")).ToHaveTextAsync("blue (2026-11-01)");
        await Expect(dashboard.Row(space.Name, "model-042")).ToHaveAttributeAsync("data-marked", "before");
        await Expect(dashboard.Row(space.Name, "model-000")).ToHaveAttributeAsync("data-marked", "before");
        await Expect(page.Locator("#objects tbody tr")).ToHaveCountAsync(ManyObjects);
        await dashboard.ScreenshotAsync("one-row-updated");

        await page.Locator("#filter").FillAsync("rolledback");
        await Expect(page.Locator("#objects tbody tr:visible")).ToHaveCountAsync(1);
    }

    [Test]
    public async Task Should_follow_one_object_with_its_timeline_checks_and_events_and_request_promote_after_confirmation()
    {
        var stabilizing = Samples.Stabilizing().Status!;
        var initial = Samples.Paused().Status!;
        initial.Phase = Phase.Testing;
        var item = await Objects.CreateAsync(Samples.Object("fraud-model", space.Name, initial));
        await using var dashboard = await OpenDashboardAsync();
        var page = dashboard.Page;
        await dashboard.SelectAsync(space.Name, "fraud-model");
        await Expect(page.Locator("#detail-phase")).ToHaveTextAsync(Phase.Testing);
        await Expect(page.Locator("#detail-actions button")).ToHaveTextAsync(["Abort"]);

        await Objects.WriteStatusAsync(item, Samples.Paused().Status!);
        await Objects.RecordEventAsync(item, "PausedForPromotion", "<b>Revision 8f1e2a44</b> waits for a promote");

        await Expect(page.Locator("#detail-phase")).ToHaveTextAsync(Phase.Paused);
        await Expect(page.Locator("#timeline li.phase")).ToHaveTextAsync([new System.Text.RegularExpressions.Regex("Testing$"), new System.Text.RegularExpressions.Regex("Paused$")]);
        await Expect(page.Locator("#checks tbody tr")).ToHaveTextAsync([new System.Text.RegularExpressions.Regex("^smoke testsgoldenpassed1/141 ms")]);
        var pausedEvent = page.Locator("#events tbody tr", new PageLocatorOptions { HasText = "PausedForPromotion" });
        await Expect(pausedEvent.Locator("td").Nth(3)).ToHaveTextAsync("<b>Revision 8f1e2a44</b> waits for a promote", new LocatorAssertionsToHaveTextOptions { UseInnerText = false });
        (await page.Locator("#events b").CountAsync()).Should().Be(0, "a message from the API is text, never markup");
        await Expect(page.Locator("#detail-actions button")).ToHaveTextAsync(["Promote", "Abort"]);
        await dashboard.ScreenshotAsync("paused");

        // Cancel first: nothing is requested.
        await page.Locator("#detail-actions button[data-verb=promote]").ClickAsync();
        await Expect(page.Locator("#confirm-text")).ToHaveTextAsync($"Request promote of {space.Name}/fraud-model?");
        await page.Locator("#confirm-cancel").ClickAsync();
        await Expect(page.Locator("dialog#confirm")).ToBeHiddenAsync();
        (await Objects.ReadAsync("fraud-model")).Metadata.Annotations.Should().BeNull("a cancelled confirmation requests nothing");

        await dashboard.RequestActionAsync(RolloutAction.Promote);

        await Expect(page.Locator("#action-result")).ToHaveTextAsync(
            "bluegreendeployment.bluegreen.dev/fraud-model promote requested (phase Paused); the operator performs it once and removes the annotation");
        (await Objects.ReadAsync("fraud-model")).Metadata.Annotations.Should().Contain(WellKnown.ActionAnnotation, RolloutAction.Promote);
        await dashboard.ScreenshotAsync("promote-requested");

        // As the operator does it: promoted, switched, then Stabilizing, all now.
        stabilizing.PromotedAt = DateTime.UtcNow;
        stabilizing.SwitchedAt = DateTime.UtcNow;
        await Objects.WriteStatusAsync(item, stabilizing);
        await Expect(page.Locator("#detail-phase")).ToHaveTextAsync(Phase.Stabilizing);
        await Expect(dashboard.Row(space.Name, "fraud-model").Locator("td.phase")).ToHaveTextAsync(Phase.Stabilizing);
        await Expect(page.Locator("#timeline li")).ToContainTextAsync([Phase.Testing, Phase.Paused, "promoted", "switched traffic to green (Service write took 9 ms)", Phase.Stabilizing]);
        await Expect(page.Locator("#detail-actions button")).ToHaveTextAsync(["Rollback"]);
        await Expect(page.Locator("#checks tbody tr", new PageLocatorOptions { HasText = "error-rate" })).ToContainTextAsync("FAILED");
        await dashboard.ScreenshotAsync("stabilizing");
    }

    [Test]
    public async Task Should_show_the_action_table_refusal_when_the_object_moved_on_before_the_confirmation()
    {
        var item = await Objects.CreateAsync(Samples.Object("fraud-model", space.Name, Samples.Paused().Status));
        await using var dashboard = await OpenDashboardAsync();
        await dashboard.SelectAsync(space.Name, "fraud-model");
        await dashboard.Page.Locator("#detail-actions button[data-verb=promote]").ClickAsync();
        await Expect(dashboard.Page.Locator("dialog#confirm")).ToBeVisibleAsync();

        var moved = await Objects.WriteStatusAsync(item, Samples.Stabilizing().Status!);
        await dashboard.Page.Locator("#confirm-ok").ClickAsync();

        await Expect(dashboard.Page.Locator("#action-result")).ToHaveTextAsync(
            $"Refused: cannot promote bluegreendeployment \"fraud-model\" in namespace \"{space.Name}\": it is in phase Stabilizing; " +
            "promote applies in phase Paused (a release passed its smoke tests and waits for a promote); what applies now: rollback (--force requests it anyway)");
        (await Objects.ReadAsync("fraud-model")).Metadata.ResourceVersion.Should().Be(moved.Metadata.ResourceVersion, "a refused action writes nothing");
        await dashboard.ScreenshotAsync("refused");
    }

    [Test]
    public async Task Should_refuse_requests_addressed_to_another_host_and_actions_from_another_origin()
    {
        await Objects.CreateAsync(Samples.Object("fraud-model", space.Name, Samples.Paused().Status));
        await using var dashboard = await OpenDashboardAsync();
        using var http = new HttpClient { BaseAddress = dashboard.Url };

        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/api/object?key=" + Uri.EscapeDataString($"{space.Name}/fraud-model"));
        rebound.Headers.Host = $"attacker.example:{dashboard.Url.Port}";
        // A rebound page and a cross-site page reach the dashboard over connections of their own.
        rebound.Headers.ConnectionClose = true;
        var answer = await http.SendAsync(rebound);
        answer.IsSuccessStatusCode.Should().BeFalse("a DNS-rebound name is not the served address");
        (await answer.Content.ReadAsStringAsync()).Should().NotContain("fraud-model");

        using var crossSite = new HttpRequestMessage(HttpMethod.Post, "/api/actions")
        {
            Content = new StringContent($"{{\"key\":\"{space.Name}/fraud-model\",\"verb\":\"promote\"}}", System.Text.Encoding.UTF8, "application/json"),
        };
        crossSite.Headers.Add("Origin", "http://attacker.example");
        crossSite.Headers.ConnectionClose = true;
        var refused = await http.SendAsync(crossSite);
        refused.StatusCode.Should().Be(System.Net.HttpStatusCode.Forbidden);
        var error = System.Text.Json.JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();
        error.Should().Be("actions are taken only from the dashboard's own page (Origin http://attacker.example)");
        (await Objects.ReadAsync("fraud-model")).Metadata.Annotations.Should().BeNull("a cross-site request must not act");
    }
}
