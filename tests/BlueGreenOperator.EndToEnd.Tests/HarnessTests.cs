using BlueGreenOperator.Api;
using BlueGreenOperator.EndToEnd.Tests.Harness;
using BlueGreenOperator.EndToEnd.Tests.Shipping;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>
/// The load generator and the invariant monitor catch what they are there to catch, proven on a Service and a
/// Deployment written by hand (no operator): a judge that cannot fail would let every rollout test pass.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class HarnessTests
{
    static IKubernetes Client => ModelRollout.Client;

    [Test]
    public async Task Should_count_answers_and_pods_of_a_version_that_must_never_serve_and_fail_on_them()
    {
        await using var rollout = await ModelRollout.StartAsync(startOperator: false);
        rollout.Watch("rogue");
        await CreateServedColourAsync(rollout, "rogue");

        await Eventually(() => rollout.Traffic!.Untested > 0 && rollout.Monitor!.Violations.Any(v => v.Contains(nameof(ViolationKind.UntestedServing))),
            "the rogue answers and the rogue pods behind the Service to be seen");

        rollout.Traffic!.Invoking(t => t.AssertNoUntestedAnswers()).Should().Throw<InvariantViolatedException>().WithMessage("*rogue*");
        rollout.Monitor!.Invoking(m => m.ThrowIfViolated()).Should().Throw<InvariantViolatedException>();
        var report = await rollout.StopWatchingAsync();
        report.AnswersByVersion.Should().ContainKey("rogue");
        report.UntestedSamples.Should().NotBeEmpty().And.OnlyContain(s => s.Version == "rogue");
    }

    [Test]
    public async Task Should_tolerate_a_declared_disturbance_only_inside_its_window_and_count_the_failed_requests()
    {
        await using var rollout = await ModelRollout.StartAsync(startOperator: false);
        rollout.Watch();
        var service = await CreateServedColourAsync(rollout, "v1");
        await Eventually(() => rollout.Traffic!.AnswersFrom("v1") > 0, "answers from v1");

        using (rollout.Monitor!.Disturbing(ViolationKind.ActiveServiceMissing, ViolationKind.EndpointsMissing, ViolationKind.NoReadyEndpoint))
        {
            await Kubectl.RunCheckedAsync("delete", "service", ModelRollout.ServiceName, "--namespace", rollout.Ns);
            await Eventually(() => rollout.Monitor.Tolerated.Any(t => t.Contains(nameof(ViolationKind.ActiveServiceMissing))), "the missing Service to be seen");
            await Eventually(() => rollout.Traffic!.Report().Failed > 0, "requests to fail without endpoints");
            await Client.CoreV1.CreateNamespacedServiceAsync(service, rollout.Ns);
            var answered = rollout.Traffic!.AnswersFrom("v1");
            await Eventually(() => rollout.Traffic.AnswersFrom("v1") > answered + 10, "answers through the recreated Service");
        }

        rollout.Monitor.Violations.Should().BeEmpty("the Service was missing only while the test said so");

        await Client.CoreV1.PatchNamespacedServiceAsync(
            new V1Patch("""{"spec":{"selector":{"bluegreen.dev/color":null}}}""", V1Patch.PatchType.MergePatch), ModelRollout.ServiceName, rollout.Ns);
        await Eventually(() => rollout.Monitor.Violations.Any(v => v.Contains(nameof(ViolationKind.SelectorWithoutColor))), "the selector without colour to be a violation");
        await Kubectl.RunCheckedAsync("delete", "service", ModelRollout.ServiceName, "--namespace", rollout.Ns);
        await Eventually(() => rollout.Monitor.Violations.Any(v => v.Contains(nameof(ViolationKind.ActiveServiceMissing))), "a missing Service outside any window to be a violation");

        var report = await rollout.StopWatchingAsync();
        report.Failures.Should().NotBeEmpty().And.Contain(f => f.FirstReason.Contains("no ready endpoint"));
        report.Untested.Should().Be(0);
    }

    /// <summary>A BlueGreenDeployment nobody acts on, and a colour written by hand in front of which a Service selects it.</summary>
    static async Task<V1Service> CreateServedColourAsync(ModelRollout rollout, string version)
    {
        await rollout.ApplyAsync(ModelRollout.Model(version, "v1"));
        var labels = new Dictionary<string, string>
        {
            [WellKnown.InstanceLabel] = ModelRollout.Name,
            [WellKnown.ColorLabel] = "blue",
            [WellKnown.ModelVersionLabel] = version,
        };
        var template = ModelRollout.Model(version, "v1").Spec.Template;
        template.Metadata.Labels = labels;
        await Client.AppsV1.CreateNamespacedDeploymentAsync(
            new V1Deployment
            {
                Metadata = new V1ObjectMeta { Name = $"{ModelRollout.Name}-blue", Labels = labels },
                Spec = new V1DeploymentSpec { Replicas = 2, Selector = new V1LabelSelector { MatchLabels = labels }, Template = template },
            },
            rollout.Ns);
        var service = new V1Service
        {
            Metadata = new V1ObjectMeta { Name = ModelRollout.ServiceName },
            Spec = new V1ServiceSpec
            {
                Selector = new Dictionary<string, string> { [WellKnown.InstanceLabel] = ModelRollout.Name, [WellKnown.ColorLabel] = "blue" },
                Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = 8080 }],
            },
        };
        await Client.CoreV1.CreateNamespacedServiceAsync(service, rollout.Ns);
        return service;
    }

    static Task Eventually(Func<bool> condition, string description) => LocalCluster.Eventually.UntilAsync(
        _ => Task.FromResult(condition()), TimeSpan.FromSeconds(60), description, interval: TimeSpan.FromMilliseconds(100));
}
