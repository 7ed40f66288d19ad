using System.Text;
using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Tests.Rollout.Scenarios;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Rollout;

/// <summary>Status stays small whatever the number of pods and checks: an object must stay under the API server's size limit.</summary>
[TestFixture]
public sealed class StatusLimitsTests
{
    [Test]
    public void Should_keep_the_status_of_100_pods_with_50_failing_checks_under_the_bound()
    {
        var world = Scenario.ServingV1();
        var v2 = Given.Resource("v2", s =>
        {
            s.Replicas = 100;
            s.SmokeTests = [.. Enumerable.Range(0, 50).Select(i => new CheckSpec { Name = $"check-{i:D2}-" + new string('c', 40), Http = new HttpCheckSpec { Port = 8080 } })];
        });
        world.Ship(v2).Decide();
        world.WithDeployment(Color.Green, v2, 100).WithPreview(Color.Green);
        var longMessage = "expected [0], got " + new string('x', 5000);
        var pods = world.Pods.Where(p => p.Color == Color.Green).ToList();
        world.Smoke = new CheckReport(Color.Green, Given.Revision(v2),
            [.. pods.SelectMany(p => Enumerable.Range(0, 50).Select(i => new PodCheckResult($"check-{i:D2}-" + new string('c', 40), p.Name + new string('p', 200), false, 30_000, longMessage)))],
            [.. pods.Select(p => p.Name)], Scenario.Hash(Given.Revision(v2)), world.Now)
        {
            Warmups = [.. pods.Select(p => new PodWarmup(p.Name + new string('p', 200), 1000, 1000, 30_000, 30_000))],
        };

        var plan = world.Plan();

        plan.Status.SmokeTests.Should().HaveCount(50, "one entry per check, not per pod");
        plan.Status.SmokeTests!.Should().OnlyContain(r => r.FailedPods == 100 && r.Pods == 100 && r.FailingPods!.Count == StatusLimits.FailingPodsNamed);
        plan.Status.SmokeTests!.Should().OnlyContain(r => r.Message!.Length <= StatusLimits.CheckMessageLength);
        plan.Status.Warmup!.PodCount.Should().Be(100);
        plan.Status.Warmup.Pods.Should().HaveCount(StatusLimits.WarmupPods).And.OnlyContain(p => p.Name.Length <= 253);
        plan.Status.Message!.Length.Should().BeLessThanOrEqualTo(StatusLimits.MessageLength);
        plan.Status.Conditions.Should().OnlyContain(c => c.Message.Length <= StatusLimits.MessageLength);
        var bytes = Encoding.UTF8.GetByteCount(KubernetesJson.Serialize(plan.Status));
        TestContext.Out.WriteLine($"status of 100 pods x 50 failing checks: {bytes} bytes (bound {StatusLimits.SerializedBytes})");
        bytes.Should().BeLessThanOrEqualTo(StatusLimits.SerializedBytes);
    }

    [Test]
    public void Should_bound_every_status_string_and_list_in_the_CRD_as_the_code_does()
    {
        var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(
            File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "crds", "bluegreendeployments.bluegreen.dev.yaml")));
        var status = crd.Spec.Versions.Single().Schema.OpenAPIV3Schema.Properties["status"].Properties;
        var results = status["analysis"].Properties["results"];
        var result = Api.CrdDescriptions.Node(results.Items).Properties;

        status["message"].MaxLength.Should().Be(StatusLimits.MessageLength);
        result["message"].MaxLength.Should().Be(StatusLimits.CheckMessageLength);
        results.MaxItems.Should().Be(StatusLimits.CheckResults);
        status["smokeTests"].MaxItems.Should().Be(StatusLimits.CheckResults);
        result["failingPods"].MaxItems.Should().Be(StatusLimits.FailingPodsNamed);
    }
}
