using BlueGreenOperator.LocalCluster;
using BlueGreenOperator.LocalCluster.Testing;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>The Helm chart against the real API server: every variant admitted, and a real install and uninstall.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ChartOnApiServerTests
{
    const string Release = "bluegreen-operator";
    static readonly string Scratch = Path.Combine(Path.GetTempPath(), $"bluegreen-e2e-shipping-{Environment.ProcessId}");

    static IKubernetes Client => EndToEndCluster.Client;

    [TestCaseSource(typeof(Helm), nameof(Helm.Variants))]
    public async Task Should_render_objects_the_api_server_admits_in_a_server_side_dry_run(string variant)
    {
        await using var ns = await TestNamespace.CreateAsync(Client, $"dry-run-{variant}");
        var manifest = RenderedManifest.Parse(await Helm.TemplateAsync(Release, ns.Name, variant));
        manifest.Kinds.Should().Contain(["ServiceAccount", "Deployment"]);
        await using var prerequisites = await ClusterPrerequisites.EnsureAsync(Client, manifest);
        var file = await manifest.WriteAsync(Scratch);

        var applied = await Kubectl.RunAsync("apply", "--dry-run=server", "-f", file);

        applied.ExitCode.Should().Be(0, "the API server must admit every object rendered with {0}: {1}", variant, applied.Error);
        Kubectl.Lines(applied.Output).Should().HaveCount(manifest.Objects.Count).And.OnlyContain(line => line.EndsWith("(server dry run)"));
        var written = await Kubectl.RunCheckedAsync("get", "-f", file, "--ignore-not-found", "-o", "name");
        written.Trim().Should().BeEmpty("a dry run persists nothing");
    }

    [Test]
    public async Task Should_install_what_the_chart_renders_and_remove_it_on_uninstall()
    {
        await using var ns = await TestNamespace.CreateAsync(Client, "chart-install");

        var install = await Helm.InstallAsync(Release, ns.Name, "ha-values.yaml");

        install.ExitCode.Should().Be(0, "helm install must succeed: {0}", install.Error);
        var manifest = RenderedManifest.Parse(await Helm.ManifestAsync(Release, ns.Name));
        manifest.Kinds.Should().BeEquivalentTo(["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Deployment", "Service", "PodDisruptionBudget"]);
        manifest.OfKind("PodDisruptionBudget").Single().ApiVersion.Should().Be("policy/v1beta1", "the cluster is Kubernetes 1.20");
        var file = await manifest.WriteAsync(Scratch);
        var present = await Kubectl.RunCheckedAsync("get", "-f", file, "-o", "name");
        Kubectl.Lines(present).Should().HaveCount(manifest.Objects.Count, "every recorded object exists on the cluster");

        var rendered = manifest.OfKind("Deployment").Single().As<V1Deployment>();
        var deployment = await Client.AppsV1.ReadNamespacedDeploymentAsync(rendered.Metadata.Name, ns.Name);
        deployment.Spec.Replicas.Should().Be(2);
        deployment.Spec.Template.Spec.ServiceAccountName.Should().Be(manifest.OfKind("ServiceAccount").Single().Name);
        deployment.Spec.Template.Spec.Containers.Single().Image.Should().Be(rendered.Spec.Template.Spec.Containers.Single().Image);
        deployment.Spec.Template.Spec.Containers.Single().Env.Select(e => e.Name)
            .Should().Equal(rendered.Spec.Template.Spec.Containers.Single().Env.Select(e => e.Name));
        var clusterRole = await Client.RbacAuthorizationV1.ReadClusterRoleAsync(manifest.OfKind("ClusterRole").Single().Name);
        clusterRole.Rules.Should().BeEquivalentTo(manifest.OfKind("ClusterRole").Single().As<V1ClusterRole>().Rules);
        var leaseRole = manifest.OfKind("Role").Single();
        leaseRole.Namespace.Should().Be(ns.Name, "Lease access is granted in the release namespace only");
        (await Client.RbacAuthorizationV1.ReadNamespacedRoleAsync(leaseRole.Name, ns.Name)).Rules.Should().BeEquivalentTo(leaseRole.As<V1Role>().Rules);

        var uninstall = await Helm.UninstallAsync(Release, ns.Name);

        uninstall.ExitCode.Should().Be(0, "helm uninstall must succeed: {0}", uninstall.Error);
        await Eventually.UntilAsync(
            async ct => (await Kubectl.RunCheckedAsync("get", "-f", file, "--ignore-not-found", "-o", "name")).Trim().Length == 0,
            TimeSpan.FromSeconds(60), "every object of the release to be gone");
        (await Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("bluegreendeployments.bluegreen.dev")).Should().NotBeNull("uninstall leaves the CRD");
    }
}
