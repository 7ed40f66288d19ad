using BlueGreenOperator.LocalCluster.Testing;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>
/// deploy/install.yaml applied with plain <c>kubectl apply</c>, as teams without Helm install the operator: every object
/// is admitted and created, and an operator running as the manifest's ServiceAccount, with only the RBAC the manifest
/// grants and the Lease where the manifest allows it, carries a release to the end. (The local kubelet has no image of
/// the operator, so the operator runs as this test's child process with the manifest's identity; the manifest's own
/// Deployment is checked as written.)
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class InstallManifestTests
{
    const string Manifest = "deploy/install.yaml";
    const string SystemNamespace = "bluegreen-system";
    static readonly string Scratch = Path.Combine(Path.GetTempPath(), $"bluegreen-e2e-install-{Environment.ProcessId}");

    static IKubernetes Admin => EndToEndCluster.Client;

    [Test]
    public async Task Should_install_with_kubectl_apply_and_release_with_exactly_the_manifests_rights()
    {
        var manifest = RenderedManifest.Parse(await File.ReadAllTextAsync(SourceTree.PathOf(Manifest)));
        manifest.Objects[0].Kind.Should().Be("Namespace", "the namespace comes first, so one apply creates everything");
        try
        {
            var applied = await Kubectl.RunAsync("apply", "-f", SourceTree.PathOf(Manifest));

            applied.ExitCode.Should().Be(0, applied.Error);
            Kubectl.Lines(applied.Output).Should().HaveCount(manifest.Objects.Count);
            var present = await Kubectl.RunCheckedAsync("get", "-f", SourceTree.PathOf(Manifest), "-o", "name");
            Kubectl.Lines(present).Should().HaveCount(manifest.Objects.Count, "every object of the manifest exists");
            var deployment = await Admin.AppsV1.ReadNamespacedDeploymentAsync("bluegreen-operator", SystemNamespace);
            deployment.Spec.Template.Spec.ServiceAccountName.Should().Be("bluegreen-operator");
            deployment.Spec.Template.Spec.Containers.Single().Env.Single(e => e.Name == "Operator__WatchNamespaces").Value.Should().BeNullOrEmpty("the default install watches every namespace");

            var identity = await ServiceAccountKubeconfig.WriteAsync(Admin, SystemNamespace, "bluegreen-operator", Scratch);
            await using var rollout = await ModelRollout.StartAsync(startOperator: false);
            rollout.Operator = await OperatorProcess.StartAsync(
                new OperatorLaunch(BuildOutputs.OperatorProgram, identity.Path, WatchNamespace: "")
                {
                    LeaderElection = true,
                    LeaseName = "bluegreen-operator-leader",
                    Environment = new Dictionary<string, string> { ["Operator__LeaderElection__LeaseNamespace"] = SystemNamespace },
                });
            rollout.Watch();
            await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
            await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
            await rollout.ApplyAsync(ModelRollout.Model("v2", "v2"));
            await rollout.WaitForAsync(s => s.ActiveModelVersion == "v2" && s.Phase is Phase.Stabilizing or Phase.Healthy, "the switch to v2");

            var lease = await Admin.CoordinationV1.ReadNamespacedLeaseAsync("bluegreen-operator-leader", SystemNamespace);
            lease.Spec.HolderIdentity.Should().Be(rollout.Operator.Identity, "the operator leads through the Lease the manifest lets it write");
            // Only the API server's refusals of this identity count: an operator watching every namespace also meets
            // other tests' objects in namespaces being deleted, where nothing may be created by anyone.
            rollout.Operator.Log.Split('\n')
                .Where(line => line.Contains("forbidden", StringComparison.OrdinalIgnoreCase) && line.Contains($"system:serviceaccount:{SystemNamespace}:bluegreen-operator", StringComparison.Ordinal))
                .Should().BeEmpty("the manifest grants every request the operator sends");
            await rollout.AssertInvariantsHeldAsync();
        }
        finally
        {
            // The CRD stays: the suite's other objects are BlueGreenDeployments too. Everything else the manifest made goes.
            foreach (var kind in new[] { "ClusterRoleBinding", "ClusterRole" })
            {
                foreach (var item in manifest.OfKind(kind))
                    await Kubectl.RunAsync("delete", kind.ToLowerInvariant(), item.Name, "--ignore-not-found", "--wait=false");
            }
            await Kubectl.RunAsync("delete", "namespace", SystemNamespace, "--ignore-not-found", "--wait=false");
        }
    }
}
