using System.Net;
using BlueGreenOperator.Api;
using BlueGreenOperator.LocalCluster;
using BlueGreenOperator.LocalCluster.Testing;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Autorest;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>The chart's RBAC proven on the real API server: the operator works as its ServiceAccount, and nothing more is allowed.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ChartRbacTests
{
    static readonly string Scratch = Path.Combine(Path.GetTempPath(), $"bluegreen-e2e-shipping-{Environment.ProcessId}");

    static IKubernetes Admin => EndToEndCluster.Client;

    [Test]
    public async Task Should_roll_out_v2_with_the_operator_authenticated_as_the_charts_service_account()
    {
        await using var releaseNamespace = await TestNamespace.CreateAsync(Admin, "chart-release");
        await using var rollout = await ModelRollout.StartAsync(startOperator: false);
        var release = await ChartRelease.InstallAsync(Admin, releaseNamespace.Name, rollout.Ns, Scratch);
        const string pod = "bluegreen-operator-0";
        rollout.Operator = await OperatorProcess.StartAsync(
            rollout.Ns, identity: pod, kubeconfig: release.Kubeconfig.Path, environment: release.OperatorEnvironment(pod));
        rollout.Watch();

        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1", edit: Short));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", edit: Short));
        var done = await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v2");

        done.Status!.ActiveColor.Should().Be("green");
        await rollout.WaitForServingAsync("v2");
        // Healthy is written before the step that scales the released standby away (status first, then the write).
        await rollout.UntilAsync(async () => (await rollout.DeploymentAsync("blue"))?.Spec.Replicas == 0, "the old colour torn down after stabilization");
        await rollout.WaitForEventsAsync("Switched", "Stabilized");
        var lease = await Admin.CoordinationV1.ReadNamespacedLeaseAsync(release.LeaseName, release.Namespace);
        lease.Spec.HolderIdentity.Should().NotBeNullOrEmpty("the operator leads through the Lease the chart grants in its own namespace");
        rollout.Operator.Log.Should().Contain($"{lease.Spec.HolderIdentity} started leading");
        rollout.Operator.Log.Should().NotContainEquivalentOf("forbidden", "every request the operator made was within the chart's RBAC");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_deny_the_charts_service_account_everything_its_roles_do_not_grant()
    {
        await using var releaseNamespace = await TestNamespace.CreateAsync(Admin, "chart-release");
        await using var watched = await TestNamespace.CreateAsync(Admin, "chart-watched");
        var release = await ChartRelease.InstallAsync(Admin, releaseNamespace.Name, watched.Name, Scratch);
        using var operatorClient = release.Kubeconfig.CreateClient();
        var tokenSecret = (await Admin.CoreV1.ReadNamespacedServiceAccountAsync("default", watched.Name)).Secrets.First().Name;

        // What the chart grants works with this very token, so the denials below are the roles speaking.
        await operatorClient.CustomObjects.ListNamespacedCustomObjectAsync(WellKnown.Group, WellKnown.Version, watched.Name, WellKnown.Plural);
        await operatorClient.AppsV1.ListNamespacedDeploymentAsync(watched.Name);
        await operatorClient.CoordinationV1.CreateNamespacedLeaseAsync(Lease(release.LeaseName), release.Namespace);
        await operatorClient.CoordinationV1.ReadNamespacedLeaseAsync(release.LeaseName, release.Namespace);

        await ShouldBeForbiddenAsync(() => operatorClient.CoreV1.ReadNamespacedSecretAsync(tokenSecret, watched.Name), "reading a Secret in the watched namespace");
        await ShouldBeForbiddenAsync(() => operatorClient.CoreV1.ListNamespacedSecretAsync(release.Namespace), "listing Secrets in its own namespace");
        await ShouldBeForbiddenAsync(() => operatorClient.CoreV1.ListNamespacedConfigMapAsync(watched.Name), "listing ConfigMaps");
        await ShouldBeForbiddenAsync(() => operatorClient.CoordinationV1.CreateNamespacedLeaseAsync(Lease(release.LeaseName), watched.Name), "creating a Lease outside the release namespace");
        await ShouldBeForbiddenAsync(() => operatorClient.CoordinationV1.ReadNamespacedLeaseAsync("kube-controller-manager", "kube-system"), "reading another Lease");
        await ShouldBeForbiddenAsync(() => operatorClient.AppsV1.ListNamespacedDeploymentAsync(release.Namespace), "listing Deployments in a namespace it does not watch");
        await ShouldBeForbiddenAsync(
            () => operatorClient.CustomObjects.ListClusterCustomObjectAsync(WellKnown.Group, WellKnown.Version, WellKnown.Plural), "listing BlueGreenDeployments cluster-wide in a namespaced install");
        await ShouldBeForbiddenAsync(() => operatorClient.CoreV1.ListNodeAsync(), "listing Nodes");
        await ShouldBeForbiddenAsync(() => operatorClient.AppsV1.DeleteCollectionNamespacedDeploymentAsync(watched.Name), "deleting Deployments as a collection");
    }

    static void Short(BlueGreenDeploymentSpec spec)
    {
        spec.Strategy.ScaleDownDelaySeconds = 2;
        spec.Strategy.StabilizationSeconds = 5;
    }

    static V1Lease Lease(string name) => new() { Metadata = new V1ObjectMeta { Name = name }, Spec = new V1LeaseSpec { HolderIdentity = "rbac-test" } };

    static async Task ShouldBeForbiddenAsync(Func<Task> request, string what)
    {
        var denied = await request.Should().ThrowAsync<HttpOperationException>($"{what} is outside the chart's RBAC");
        denied.Which.Response.StatusCode.Should().Be(HttpStatusCode.Forbidden, what);
    }
}
