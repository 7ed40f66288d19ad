using System.Net;
using BlueGreenOperator.Api;
using BlueGreenOperator.EndToEnd.Tests.Harness;
using BlueGreenOperator.EndToEnd.Tests.Shipping;
using BlueGreenOperator.LocalCluster.Testing;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Autorest;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>
/// The world moves under the operator: objects it owns are deleted or edited by hand, its writes conflict or are
/// refused, an action arrives while it consumes the previous one. Each test disturbs one thing on purpose, declares it
/// to the invariant monitor, runs the load generator through it, and checks the promise: a revision that has not
/// passed its checks never takes traffic, and the good colour is never lost.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class DisturbanceTests
{
    const string HandEdited = "hand-edited";
    static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    static IKubernetes Client => ModelRollout.Client;

    [Test]
    public async Task Should_recreate_a_deleted_active_service_on_the_good_colour_while_an_aborted_release_is_degraded()
    {
        await using var rollout = await HealthyOnV1Async("v2");
        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", knobs: new Dictionary<string, string> { ["WRONG_PREDICTIONS"] = "true" }));
        var aborted = await rollout.WaitForAsync(s => s.Phase == Phase.Degraded && s.AbortedRevision is not null, "v2 aborted by its smoke tests");
        await rollout.UntilAsync(async () => (await rollout.DeploymentAsync("green"))?.Spec.Replicas == 0, "green scaled to 0 after the abort");
        await using var blue = await DeploymentHistory.StartAsync(Client, rollout.Ns, "iris-blue");
        rollout.Forbid("the good colour blue went below 3 replicas", () => blue.States.Any(s => !s.Exists || s.Replicas < 3));
        var deleted = await Client.CoreV1.ReadNamespacedServiceAsync(ModelRollout.ServiceName, rollout.Ns);

        try
        {
            using (rollout.Monitor!.Disturbing(ViolationKind.ActiveServiceMissing, ViolationKind.EndpointsMissing, ViolationKind.NoReadyEndpoint))
            {
                await Kubectl.RunCheckedAsync("delete", "service", ModelRollout.ServiceName, "--namespace", rollout.Ns, "--wait=false");
                await rollout.UntilAsync(
                    async () => await ServiceOrNullAsync(rollout, ModelRollout.ServiceName) is { } service && service.Metadata.Uid != deleted.Metadata.Uid,
                    "the active Service to be recreated", 30);
                (await Client.CoreV1.ReadNamespacedServiceAsync(ModelRollout.ServiceName, rollout.Ns)).Spec.Selector
                    .Should().Contain(WellKnown.ColorLabel, "blue", "the recreated Service selects the good colour");
                await rollout.WaitForServingAsync("v1", seconds: 30);
            }

            await rollout.HoldAsync(Settle);
        }
        finally
        {
            await TestContext.Out.WriteLineAsync(blue.ToString());
        }

        var status = await StatusShouldBeAsync(rollout, Phase.Degraded, "v1");
        status.ActiveColor.Should().Be("blue");
        status.AbortedRevision.Should().Be(aborted.Status!.AbortedRevision, "v2 stays aborted");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_recreate_a_deleted_serving_deployment_from_the_serving_release_while_the_next_one_waits_for_promotion()
    {
        await using var rollout = await HealthyOnV1Async("v2");
        await PauseOnAsync(rollout);
        await using var blue = await DeploymentHistory.StartAsync(Client, rollout.Ns, "iris-blue");
        var deletedUid = blue.States[^1].Uid;
        rollout.Forbid("iris-blue was rebuilt from a template other than v1's", () => blue.States.Any(s => s.Exists && s.ReportedVersion != "v1"));

        try
        {
            using (rollout.Monitor!.Disturbing(ViolationKind.ServingDeploymentMissing, ViolationKind.NoReadyEndpoint, ViolationKind.EndpointWithoutPod))
            {
                await Kubectl.RunCheckedAsync("delete", "deployment", "iris-blue", "--namespace", rollout.Ns, "--wait=false");
                await rollout.UntilAsync(() => Task.FromResult(blue.States.Any(s => s.Exists && s.Uid != deletedUid)), "iris-blue to be recreated", 30);
                await SettledAsync(rollout, "blue", "v1");
            }

            await rollout.HoldAsync(Settle);
        }
        finally
        {
            await TestContext.Out.WriteLineAsync(blue.ToString());
        }

        (await StatusShouldBeAsync(rollout, Phase.Paused, "v1")).PreviewModelVersion.Should().Be("v2", "the release still waits for its promote");

        rollout.MayServe("v2");
        await rollout.ActAsync(RolloutAction.Promote);
        await rollout.WaitForAsync(s => s.ActiveModelVersion == "v2", "the promoted switch");
        await rollout.WaitForServingAsync("v2");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_revert_a_hand_edit_of_the_colour_under_test_and_test_it_again_before_the_switch()
    {
        await using var rollout = await HealthyOnV1Async(HandEdited);
        await PauseOnAsync(rollout);
        var passedBefore = (await rollout.EventsAsync()).Count(e => e.Reason == "SmokeTestsPassed");
        await using var green = await DeploymentHistory.StartAsync(Client, rollout.Ns, "iris-green");

        try
        {
            var editedAt = DateTime.UtcNow;
            var generationBefore = (await rollout.DeploymentAsync("green"))!.Metadata.Generation;
            await Kubectl.RunCheckedAsync("set", "env", "deployment/iris-green", $"{ModelRollout.ReportedVersion}={HandEdited}", "--namespace", rollout.Ns);
            await rollout.UntilAsync(() => Task.FromResult(green.Since(editedAt).Any(s => s.ReportedVersion == HandEdited)), "the hand edit to reach iris-green", 10);
            // Promote once the world has settled after the edit, as a user would: green rolled out at whatever template it
            // has now, the release waiting for its promote again and, if the edit was reverted, tested again.
            await rollout.UntilAsync(
                async () => await rollout.DeploymentAsync("green") is { } d && d.Metadata.Generation > generationBefore && IsRolledOut(d)
                    && (await rollout.GetOrNullAsync())?.Status?.Phase == Phase.Paused
                    && (green.States[^1].ReportedVersion == HandEdited || (await rollout.EventsAsync()).Count(e => e.Reason == "SmokeTestsPassed") > passedBefore),
                "green rolled out after the hand edit and the release paused again", 90);

            await rollout.ActAsync(RolloutAction.Promote);
            await rollout.WaitForAsync(s => s.ActiveModelVersion == "v2" && s.ActiveColor == "green", "the promoted switch to green", 120);
            await rollout.WaitForServingAsync("v2");
            await rollout.HoldAsync(Settle);
            green.States[^1].ReportedVersion.Should().Be("v2", "the hand edit is reverted to the spec's template");
        }
        finally
        {
            await TestContext.Out.WriteLineAsync(green.ToString());
        }

        var events = await rollout.EventsAsync();
        var passed = events.Where(e => e.Reason == "SmokeTestsPassed").ToList();
        passed.Should().HaveCountGreaterThan(passedBefore, "the edited colour is tested again before it takes traffic");
        var switched = events.Where(e => e.Reason == "Switched").MaxBy(e => e.LastTimestamp);
        switched.Should().NotBeNull("the promote switched the Service");
        passed.Max(e => e.LastTimestamp).Should().BeOnOrBefore(switched!.LastTimestamp!.Value, "the test again comes before the switch");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_revert_a_hand_edit_of_the_serving_template_and_never_let_it_answer()
    {
        await using var rollout = await HealthyOnV1Async(HandEdited);
        await using var blue = await DeploymentHistory.StartAsync(Client, rollout.Ns, "iris-blue");

        try
        {
            using (rollout.Monitor!.Disturbing(ViolationKind.NoReadyEndpoint))
            {
                var editedAt = DateTime.UtcNow;
                await Kubectl.RunCheckedAsync("set", "env", "deployment/iris-blue", $"{ModelRollout.ReportedVersion}={HandEdited}", "--namespace", rollout.Ns);
                await rollout.UntilAsync(
                    () => Task.FromResult(blue.Since(editedAt).Any(s => s.ReportedVersion == HandEdited) && blue.States[^1].ReportedVersion == "v1"),
                    "the hand edit of iris-blue to be reverted", 60);
                await SettledAsync(rollout, "blue", "v1");
            }

            await rollout.HoldAsync(Settle);
        }
        finally
        {
            await TestContext.Out.WriteLineAsync(blue.ToString());
        }

        await StatusShouldBeAsync(rollout, Phase.Healthy, "v1");
        blue.States[^1].ReportedVersion.Should().Be("v1");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_restore_the_size_of_the_serving_colour_after_a_hand_scale_and_warn()
    {
        await using var rollout = await HealthyOnV1Async();
        await using var blue = await DeploymentHistory.StartAsync(Client, rollout.Ns, "iris-blue");

        try
        {
            foreach (var size in new[] { 1, 0 })
            {
                var known = await EventNamesAsync(rollout);
                var scaledAt = DateTime.UtcNow;
                using (size == 0 ? rollout.Monitor!.Disturbing(ViolationKind.NoReadyEndpoint) : null)
                {
                    await Kubectl.RunCheckedAsync("scale", "deployment/iris-blue", $"--replicas={size}", "--namespace", rollout.Ns);
                    await rollout.UntilAsync(
                        () => Task.FromResult(blue.Since(scaledAt).Any(s => s.Replicas == size) && blue.States[^1].Replicas == 3),
                        $"iris-blue scaled to {size} by hand to be restored to 3", 30);
                    await SettledAsync(rollout, "blue", "v1");
                }

                await rollout.UntilAsync(
                    async () => (await EventsSinceAsync(rollout, known)).Any(e => e.Type == "Warning"),
                    $"a Warning Event about the hand scale of iris-blue to {size}", 20);
                await TestContext.Out.WriteLineAsync(
                    $"after the scale to {size}: {string.Join("; ", (await EventsSinceAsync(rollout, known)).Select(e => $"{e.Type} {e.Reason}: {e.Message}"))}");
            }
        }
        finally
        {
            await TestContext.Out.WriteLineAsync(blue.ToString());
        }

        await StatusShouldBeAsync(rollout, Phase.Healthy, "v1");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_restore_a_selector_moved_by_hand_onto_the_rolled_back_colour_and_keep_the_good_colour()
    {
        await using var rollout = await HealthyOnV1Async();
        await rollout.ApplyAsync(ModelRollout.SlowRelease());
        await rollout.WaitForAsync(s => s.ActiveModelVersion == "v2", "the switch to the slow v2");
        var rolledBack = await rollout.WaitForPhaseAsync(Phase.RolledBack, 60, modelVersion: "v1");
        await rollout.UntilAsync(
            async () => (await rollout.DeploymentAsync("blue"))?.Spec.Replicas == 3 && (await rollout.DeploymentAsync("green"))?.Spec.Replicas == 0,
            "blue back to full size and green at 0");
        rollout.NeverServe("v2");
        await using var blue = await DeploymentHistory.StartAsync(Client, rollout.Ns, "iris-blue");
        await using var green = await DeploymentHistory.StartAsync(Client, rollout.Ns, "iris-green");
        rollout.Forbid("the good colour blue left 3 replicas", () => blue.States.Any(s => !s.Exists || s.Replicas != 3));
        rollout.Forbid("the rolled-back colour green was scaled up", () => green.States.Any(s => s.Replicas > 0));

        try
        {
            using (rollout.Monitor!.Disturbing(ViolationKind.NoReadyEndpoint))
            {
                await Kubectl.RunCheckedAsync("patch", "service", ModelRollout.ServiceName, "--namespace", rollout.Ns, "--type", "merge",
                    "-p", System.Text.Json.JsonSerializer.Serialize(new { spec = new { selector = new Dictionary<string, string> { [WellKnown.ColorLabel] = "green" } } }));
                await rollout.UntilAsync(
                    async () => ValueOf((await ServiceOrNullAsync(rollout, ModelRollout.ServiceName))?.Spec.Selector, WellKnown.ColorLabel) == "blue",
                    "the selector to be restored onto blue", 30);
                await rollout.WaitForServingAsync("v1");
            }

            await rollout.WaitForEventsAsync("SelectorRestored");
            await rollout.HoldAsync(Settle);
        }
        finally
        {
            await TestContext.Out.WriteLineAsync(blue.ToString());
            await TestContext.Out.WriteLineAsync(green.ToString());
        }

        (await rollout.EventsAsync()).Should().Contain(e => e.Reason == "SelectorRestored" && e.Type == "Warning");
        var status = await StatusShouldBeAsync(rollout, Phase.RolledBack, "v1");
        status.ActiveColor.Should().Be("blue");
        status.AbortedRevision.Should().Be(rolledBack.Status!.AbortedRevision);
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_keep_an_aborted_colour_at_zero_when_its_status_writes_meet_conflicts()
    {
        await using var rollout = await HealthyOnV1Async("v2");
        await using var green = await DeploymentHistory.StartAsync(Client, rollout.Ns, "iris-green");
        rollout.Forbid("the aborted colour green was scaled up again after it reached 0", () => ScaledUpAfterZero(green.States));
        using var stopChurn = new CancellationTokenSource();
        var churn = ChurnLabelsAsync(rollout, stopChurn.Token);
        try
        {
            await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", knobs: new Dictionary<string, string> { ["WRONG_PREDICTIONS"] = "true" }));
            await rollout.WaitForAsync(s => s.Phase == Phase.Degraded && s.AbortedRevision is not null, "v2 aborted while its status writes conflict", 90);
            await rollout.UntilAsync(() => Task.FromResult(green.States[^1].Replicas == 0), "green scaled to 0 after the abort", 30);
            await rollout.HoldAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            await stopChurn.CancelAsync();
            await TestContext.Out.WriteLineAsync($"labels changed {await churn} times, every 0.5 s");
            await TestContext.Out.WriteLineAsync(green.ToString());
        }

        green.States.Should().Contain(s => s.Replicas > 0, "green came up for its smoke tests").And.Contain(s => s.Replicas == 0, "the abort scaled it to 0");
        await StatusShouldBeAsync(rollout, Phase.Degraded, "v1");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_report_a_refused_write_as_degraded_keep_serving_and_proceed_once_it_is_allowed()
    {
        await using var rollout = await HealthyOnV1Async();
        const string quotaName = "one-deployment";
        await Client.CoreV1.CreateNamespacedResourceQuotaAsync(
            new V1ResourceQuota
            {
                Metadata = new V1ObjectMeta { Name = quotaName },
                Spec = new V1ResourceQuotaSpec { Hard = new Dictionary<string, ResourceQuantity> { ["count/deployments.apps"] = new("1") } },
            },
            rollout.Ns);
        // Until the quota controller has counted, admission refuses every Deployment write with "status unknown".
        await rollout.UntilAsync(
            async () => (await Client.CoreV1.ReadNamespacedResourceQuotaAsync(quotaName, rollout.Ns)).Status?.Used?.ContainsKey("count/deployments.apps") == true,
            "the quota controller to count the Deployments");

        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2"));
        var refused = await rollout.WaitForAsync(s => s.Phase == Phase.Degraded, "Degraded for the Deployment write the quota refuses", 60);
        refused.Status!.Message.Should().Contain("exceeded quota", "status carries the API server's reason");
        refused.Status.ActiveModelVersion.Should().Be("v1");
        await rollout.WaitForEventsAsync("WriteRefused");
        (await rollout.EventsAsync()).Should().Contain(e => e.Reason == "WriteRefused" && e.Type == "Warning" && e.Message.Contains("exceeded quota"));
        await rollout.WaitForServingAsync("v1");
        await KeepsAnsweringAsync(rollout, "v1", "while the write is refused");

        // Back-pressure: the refused create is tried again with back-off; nothing that succeeded is repeated.
        const string checks = "bluegreen_check_duration_seconds_count";
        var checksBefore = await rollout.Operator.MetricAsync(checks);
        var before = await rollout.Operator.ApiRequestsAsync();
        await rollout.UntilAsync(
            async () => (await rollout.Operator.ApiRequestsAsync()).GetValueOrDefault("POST") >= before.GetValueOrDefault("POST") + 3,
            "three more tries of the refused create");
        var after = await rollout.Operator.ApiRequestsAsync();
        var checksAfter = await rollout.Operator.MetricAsync(checks);
        long Delta(string verb) => after.GetValueOrDefault(verb) - before.GetValueOrDefault(verb);
        TestContext.Out.WriteLine($"while refused: POST {Delta("POST")} (the create tried again, and Events), PUT {Delta("PUT")}, PATCH {Delta("PATCH")}, GET {Delta("GET")}, checks run {checksAfter - checksBefore}");
        Delta("PUT").Should().Be(0, "status said it once; it is not written again on every try");
        checksAfter.Should().Be(checksBefore, "no check runs again while the write is refused");

        await Kubectl.RunCheckedAsync("delete", "resourcequota", quotaName, "--namespace", rollout.Ns);
        await rollout.WaitForAsync(s => s.ActiveModelVersion == "v2", "the release to proceed once the quota is lifted", 120);
        await rollout.WaitForServingAsync("v2");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_restore_hand_edited_ports_of_the_active_service()
    {
        await using var rollout = await HealthyOnV1Async();

        await Kubectl.RunCheckedAsync("patch", "service", ModelRollout.ServiceName, "--namespace", rollout.Ns, "--type", "json", "-p",
            """[{"op":"replace","path":"/spec/ports/0/port","value":81},{"op":"replace","path":"/spec/ports/0/targetPort","value":9999}]""");
        await rollout.UntilAsync(
            async () => PortsOf(await ServiceOrNullAsync(rollout, ModelRollout.ServiceName)) == "http 80->8080",
            "the active Service's ports to be restored to the spec", 30);
        await KeepsAnsweringAsync(rollout, "v1", "through the restored port");

        await StatusShouldBeAsync(rollout, Phase.Healthy, "v1");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_recreate_a_deleted_preview_service_as_the_spec_says_while_a_release_waits_for_promotion()
    {
        await using var rollout = await HealthyOnV1Async();
        await PauseOnAsync(rollout);
        var preview = $"{ModelRollout.ServiceName}-preview";
        var deleted = await Client.CoreV1.ReadNamespacedServiceAsync(preview, rollout.Ns);

        await Kubectl.RunCheckedAsync("delete", "service", preview, "--namespace", rollout.Ns, "--wait=false");
        var recreated = await rollout.WaitForValueAsync(
            async () => await ServiceOrNullAsync(rollout, preview) is { } s && s.Metadata.Uid != deleted.Metadata.Uid ? s : null,
            "the preview Service to be recreated", 30);

        PortsOf(recreated).Should().Be("http 80->8080");
        recreated.Spec.Selector.Should().Contain(WellKnown.InstanceLabel, ModelRollout.Name).And.Contain(WellKnown.ColorLabel, "green", "the preview selects the colour under test");
        await StatusShouldBeAsync(rollout, Phase.Paused, "v1");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_never_drop_an_action_written_while_the_operator_consumes_the_previous_one()
    {
        await using var rollout = await HealthyOnV1Async();

        // An action is at risk between the operator's write of status for the previous one and its removal of the
        // annotation: the operator is frozen right after that write while the test writes abort. Each try needs a fresh
        // paused release; the first try that lands in that window decides. An operator that removes the annotation before
        // it writes status leaves no such window, and every try is an abort right after a promote, to be handled as well.
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            var paused = await PauseOnAsync(rollout, $"v{attempt + 1}");
            var revision = paused.Status!.PreviewRevision;
            HashSet<string> known;
            bool inWindow;
            await using (var freeze = await FreezeAtObjectWrite.ArmAsync(Client, rollout.Ns, ModelRollout.Name, rollout.Operator))
            {
                await rollout.ActAsync(RolloutAction.Promote);
                var write = await freeze.Frozen.WaitAsync(TimeSpan.FromSeconds(30));
                var held = ValueOf((await rollout.GetOrNullAsync())!.Metadata.Annotations, WellKnown.ActionAnnotation);
                inWindow = held == RolloutAction.Promote;
                known = await EventNamesAsync(rollout);
                await rollout.ActAsync(RolloutAction.Abort);
                await TestContext.Out.WriteLineAsync(
                    $"try {attempt}: the operator stood still after {write}; the annotation then held '{held ?? "nothing"}'; abort written");
            }

            await rollout.UntilAsync(
                async () =>
                {
                    var current = (await rollout.GetOrNullAsync())!;
                    var handled = current.Status?.AbortedRevision == revision
                        || (await EventsSinceAsync(rollout, known)).Any(e => e.Message.Contains(RolloutAction.Abort, StringComparison.OrdinalIgnoreCase));
                    return handled && current.Metadata.Annotations?.ContainsKey(WellKnown.ActionAnnotation) != true;
                },
                "the abort written while the operator consumed the promote to be performed or reported with an Event, not silently dropped", 60);
            await TestContext.Out.WriteLineAsync(string.Join("\n", (await EventsSinceAsync(rollout, known)).Select(e => $"  {e.Type} {e.Reason}: {e.Message}")));
            if (inWindow)
                break;
        }

        await rollout.AssertInvariantsHeldAsync();
    }

    static async Task<ModelRollout> HealthyOnV1Async(params string[] neverServe)
    {
        var rollout = await ModelRollout.StartAsync();
        try
        {
            rollout.Watch(neverServe);
            await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
            await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
            return rollout;
        }
        catch
        {
            await rollout.DisposeAsync();
            throw;
        }
    }

    /// <summary>A release (v2's weights) passed its smoke tests and waits for the promote action.</summary>
    static async Task<BlueGreenDeployment> PauseOnAsync(ModelRollout rollout, string version = "v2")
    {
        await rollout.ApplyAsync(ModelRollout.Model(version, "v2", edit: s => s.Strategy.AutoPromote = false));
        return await rollout.WaitForAsync(s => s.Phase == Phase.Paused && s.PreviewModelVersion == version, $"{version} paused for promotion");
    }

    /// <summary>The load generator gets more answers from <paramref name="version"/> from now on.</summary>
    static Task KeepsAnsweringAsync(ModelRollout rollout, string version, string when)
    {
        var answered = rollout.Traffic!.AnswersFrom(version);
        return rollout.UntilAsync(() => Task.FromResult(rollout.Traffic.AnswersFrom(version) > answered + 20), $"answers from {version} {when}", 20);
    }

    /// <summary>
    /// The colour is whole again and stays so: its Deployment rolled out, exactly its size in pods, none terminating (the
    /// garbage collector and the Deployment controller are done), and every ready address answering <paramref name="version"/>.
    /// A test closes its disturbance window only then, so the Endpoints do not move after it.
    /// </summary>
    static async Task SettledAsync(ModelRollout rollout, string color, string version)
    {
        await rollout.UntilAsync(
            async () =>
            {
                var pods = await Client.ListPodsAsync(rollout.Ns, $"{WellKnown.InstanceLabel}={ModelRollout.Name},{WellKnown.ColorLabel}={color}");
                return await rollout.DeploymentAsync(color) is { } deployment && IsRolledOut(deployment)
                    && pods.Count == deployment.Spec.Replicas && pods.All(p => p.Metadata.DeletionTimestamp is null && p.IsReady());
            },
            $"{color} rolled out with only its own ready pods", 90);
        await rollout.WaitForServingAsync(version);
    }

    /// <summary>The Deployment controller caught up with the latest template and every desired pod runs it and is available.</summary>
    static bool IsRolledOut(V1Deployment deployment) =>
        deployment.Status is { } status && status.ObservedGeneration >= deployment.Metadata.Generation
        && status.UpdatedReplicas == deployment.Spec.Replicas && status.AvailableReplicas == deployment.Spec.Replicas
        && status.Replicas == deployment.Spec.Replicas;

    /// <summary>Whether the Deployment went up again after it had come up and been scaled to 0.</summary>
    static bool ScaledUpAfterZero(IReadOnlyList<DeploymentState> states)
    {
        var zeroAfterUp = false;
        var wasUp = false;
        foreach (var state in states)
        {
            if (state.Replicas > 0 && zeroAfterUp)
                return true;
            zeroAfterUp |= wasUp && state.Replicas == 0;
            wasUp |= state.Replicas > 0;
        }

        return false;
    }

    static async Task<BlueGreenDeploymentStatus> StatusShouldBeAsync(ModelRollout rollout, string phase, string activeModelVersion)
    {
        var status = (await rollout.GetOrNullAsync())!.Status!;
        status.Phase.Should().Be(phase, status.Message);
        status.ActiveModelVersion.Should().Be(activeModelVersion);
        return status;
    }

    static async Task<V1Service?> ServiceOrNullAsync(ModelRollout rollout, string name)
    {
        try
        {
            return await Client.CoreV1.ReadNamespacedServiceAsync(name, rollout.Ns);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    static string? ValueOf(IDictionary<string, string>? map, string key) => map is not null && map.TryGetValue(key, out var value) ? value : null;

    static string? PortsOf(V1Service? service) =>
        service is null ? null : string.Join(", ", service.Spec.Ports.Select(p => $"{p.Name} {p.Port}->{p.TargetPort?.Value}"));

    static async Task<HashSet<string>> EventNamesAsync(ModelRollout rollout) => [.. (await rollout.EventsAsync()).Select(e => e.Metadata.Name)];

    static async Task<IReadOnlyList<Corev1Event>> EventsSinceAsync(ModelRollout rollout, HashSet<string> known) =>
        [.. (await rollout.EventsAsync()).Where(e => !known.Contains(e.Metadata.Name)).OrderBy(e => e.Metadata.CreationTimestamp)];

    /// <summary>Changes a label of the object every half second: every write of the operator that read the object before meets a 409.</summary>
    static async Task<int> ChurnLabelsAsync(ModelRollout rollout, CancellationToken ct)
    {
        var changes = 0;
        while (!ct.IsCancellationRequested)
        {
            var patch = new { metadata = new { labels = new Dictionary<string, string> { ["churn"] = changes.ToString(System.Globalization.CultureInfo.InvariantCulture) } } };
            await Client.CustomObjects.PatchNamespacedCustomObjectAsync<BlueGreenDeployment>(
                new V1Patch(patch, V1Patch.PatchType.MergePatch), WellKnown.Group, WellKnown.Version, rollout.Ns, WellKnown.Plural, ModelRollout.Name,
                cancellationToken: CancellationToken.None);
            changes++;
            await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        return changes;
    }

    /// <summary>
    /// Freezes the operator (SIGSTOP) the moment it first writes the object after arming: its status, or the removal of
    /// the action annotation. It has read the object by then and stands still until disposal (SIGCONT), while the test
    /// writes the next action.
    /// </summary>
    sealed class FreezeAtObjectWrite : IAsyncDisposable
    {
        readonly OperatorProcess _operator;
        readonly TaskCompletionSource<string> _frozen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        readonly TaskCompletionSource _firstLook = new(TaskCreationOptions.RunContinuationsAsynchronously);
        readonly Lock _lock = new();
        NamedObjectWatch<BlueGreenDeployment>? _watch;
        string? _baseline;
        bool _sawAction;
        bool _fired;
        bool _frozenNow;

        FreezeAtObjectWrite(OperatorProcess process) => _operator = process;

        public Task<string> Frozen => _frozen.Task;

        public static async Task<FreezeAtObjectWrite> ArmAsync(IKubernetes client, string ns, string name, OperatorProcess process)
        {
            var trigger = new FreezeAtObjectWrite(process);
            trigger._watch = NamedObjectWatch.Resource(client, ns, name, trigger.OnResource);
            await trigger._firstLook.Task.WaitAsync(TimeSpan.FromSeconds(30));
            return trigger;
        }

        void OnResource(BlueGreenDeployment? resource)
        {
            var status = resource is null ? "" : KubernetesJson.Serialize(resource.Status);
            var action = ValueOf(resource?.Metadata.Annotations, WellKnown.ActionAnnotation);
            lock (_lock)
            {
                if (_baseline is null)
                {
                    _baseline = status;
                    _firstLook.TrySetResult();
                    return;
                }

                _sawAction |= action is not null;
                if (status != _baseline)
                    Fire("its write of status");
                else if (action is null && _sawAction)
                    Fire("its removal of the action annotation");
            }
        }

        void Fire(string what)
        {
            if (_fired)
                return;
            _fired = true;
            _operator.Freeze();
            _frozenNow = true;
            _frozen.TrySetResult(what);
        }

        public async ValueTask DisposeAsync()
        {
            lock (_lock)
            {
                _fired = true;
                if (_frozenNow)
                    _operator.Thaw();
                _frozenNow = false;
            }

            if (_watch is not null)
                await _watch.DisposeAsync();
        }
    }
}
