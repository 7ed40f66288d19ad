using System.Text.RegularExpressions;
using BlueGreenOperator.Api;
using BlueGreenOperator.Plugin.Tests.EndToEnd;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Models;
using Microsoft.Playwright;
using NUnit.Framework;
using static Microsoft.Playwright.Assertions;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>
/// <c>kubectl bluegreen dashboard</c> in a real chromium during a real rollout by the running operator: the page shows
/// the phases as they happen, a person who may only read is refused a promote with the API server's message, and a
/// promote clicked by one who may act is performed by the operator.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DashboardDuringRolloutTests
{
    const string Viewer = "dashboard-viewer";

    // A rollout's pods start as real processes on a shared machine: the page waits as long as the rollout may take.
    static readonly LocatorAssertionsToHaveTextOptions RolloutPace = new() { Timeout = 300_000 };

    [Test]
    public async Task Should_show_the_phases_live_refuse_a_promote_to_a_reader_and_promote_for_one_who_may()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
        var readOnly = await GrantReadOnlyAsync(rollout.Ns);

        await using var dashboard = await OpenAsync(rollout.Ns, EndToEndCluster.Kubeconfig);
        var page = dashboard.Page;
        await dashboard.SelectAsync(rollout.Ns, ModelRollout.Name);
        await Expect(page.Locator("#detail-phase")).ToHaveTextAsync(Phase.Healthy);
        await Expect(dashboard.Row(rollout.Ns, ModelRollout.Name).Locator("td.serving")).ToHaveTextAsync(new Regex(@"\(v1\)$"));
        await dashboard.ScreenshotAsync("healthy-v1");

        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", edit: s => s.Strategy.AutoPromote = false));
        await Expect(page.Locator("#detail-phase")).ToHaveTextAsync(Phase.Paused, RolloutPace);
        await Expect(page.Locator("#timeline li.phase")).ToContainTextAsync([Phase.Healthy, Phase.Progressing, Phase.Paused]);
        await Expect(dashboard.Row(rollout.Ns, ModelRollout.Name).Locator("td.preview")).ToHaveTextAsync(new Regex(@"\(v2\)$"));
        await Expect(page.Locator("#checks tbody tr", new PageLocatorOptions { HasText = "golden" })).ToContainTextAsync("passed");
        await Expect(page.Locator("#events tbody")).ToContainTextAsync("SmokeTestsPassed");
        await dashboard.ScreenshotAsync("paused-v2");

        await using (var reader = await OpenAsync(rollout.Ns, readOnly.Path))
        {
            await reader.SelectAsync(rollout.Ns, ModelRollout.Name);
            await reader.RequestActionAsync(RolloutAction.Promote);
            await Expect(reader.Page.Locator("#action-result")).ToHaveTextAsync(new Regex(
                $"^Refused: the API server at .+ answered 403 Forbidden: .*User \"system:serviceaccount:{rollout.Ns}:{Viewer}\" cannot patch resource \"bluegreendeployments\""));
            await reader.ScreenshotAsync("reader-refused");
        }

        var afterRefusal = (await rollout.GetOrNullAsync())!;
        afterRefusal.Status!.Phase.Should().Be(Phase.Paused, "a refused promote changes nothing");
        afterRefusal.Metadata.Annotations?.ContainsKey(WellKnown.ActionAnnotation).Should().NotBe(true, "the reader's request never reached the object");

        await dashboard.RequestActionAsync(RolloutAction.Promote);
        await Expect(page.Locator("#action-result")).ToContainTextAsync("promote requested (phase Paused)");
        // Stabilization is short here: the phases seen after the promote are read from the timeline, which keeps them.
        await Expect(page.Locator("#detail-phase")).ToHaveTextAsync(Phase.Healthy, RolloutPace);
        await Expect(page.Locator("#timeline li.phase")).ToContainTextAsync([Phase.Healthy, Phase.Progressing, Phase.Paused, Phase.Stabilizing, Phase.Healthy]);
        await Expect(page.Locator("#timeline li.milestone")).ToContainTextAsync(["switched traffic to"]);
        await Expect(page.Locator("#detail-times")).ToContainTextAsync("Service write took");
        await Expect(dashboard.Row(rollout.Ns, ModelRollout.Name).Locator("td.serving")).ToHaveTextAsync(new Regex(@"\(v2\)$"));
        await Expect(page.Locator("#events tbody")).ToContainTextAsync("Switched");
        await dashboard.ScreenshotAsync("healthy-v2");
        (await rollout.EventsAsync()).Count(e => e.Reason == "Promote").Should().Be(1, "the operator performed the one promote");
        await rollout.WaitForServingAsync("v2");
        await rollout.AssertInvariantsHeldAsync();
    }

    static Task<DashboardSession> OpenAsync(string ns, string kubeconfig) =>
        DashboardSession.StartAsync("dotnet", [BuildOutputs.PluginDll, "dashboard", "--port", "0", "-n", ns, "--kubeconfig", kubeconfig],
            new Dictionary<string, string?>());

    /// <summary>A ServiceAccount that may read BlueGreenDeployments and Events of the namespace, and nothing more.</summary>
    static async Task<ServiceAccountKubeconfig> GrantReadOnlyAsync(string ns)
    {
        var admin = EndToEndCluster.Client;
        await admin.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = Viewer } }, ns);
        string[] read = ["get", "list", "watch"];
        await admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = Viewer },
            Rules =
            [
                new V1PolicyRule { ApiGroups = [WellKnown.Group], Resources = [WellKnown.Plural], Verbs = read },
                new V1PolicyRule { ApiGroups = [""], Resources = ["events"], Verbs = read },
            ],
        }, ns);
        await admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = Viewer },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = Viewer },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = Viewer, NamespaceProperty = ns }],
        }, ns);
        return await ServiceAccountKubeconfig.WriteAsync(admin, ns, Viewer, Path.Combine(Path.GetTempPath(), $"bluegreen-e2e-dashboard-{Environment.ProcessId}"));
    }
}
