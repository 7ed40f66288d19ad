using FluentAssertions;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>The chart installed for real as a namespaced release (one watched namespace, leader election on).</summary>
internal sealed record ChartRelease(string Namespace, RenderedManifest Manifest, ServiceAccountKubeconfig Kubeconfig)
{
    public const string Name = "bluegreen-operator";

    public static async Task<ChartRelease> InstallAsync(IKubernetes admin, string releaseNamespace, string watchNamespace, string scratch)
    {
        var install = await Helm.InstallAsync(Name, releaseNamespace, Helm.DefaultValues,
            "--set", $"watchNamespaces={{{watchNamespace}}}", "--set", "leaderElection.enabled=true");
        install.ExitCode.Should().Be(0, "helm install must succeed: {0}", install.Error);
        var manifest = RenderedManifest.Parse(await Helm.ManifestAsync(Name, releaseNamespace));
        var account = manifest.OfKind("ServiceAccount").Single().Name;
        return new ChartRelease(releaseNamespace, manifest, await ServiceAccountKubeconfig.WriteAsync(admin, releaseNamespace, account, scratch));
    }

    public V1Container OperatorContainer => Manifest.OfKind("Deployment").Single().As<V1Deployment>().Spec.Template.Spec.Containers.Single();

    /// <summary>The operator's environment exactly as the chart sets it, the downward API resolved as the kubelet would.</summary>
    public IReadOnlyDictionary<string, string> OperatorEnvironment(string podName) =>
        OperatorContainer.Env.ToDictionary(
            e => e.Name,
            e => e.Value ?? e.ValueFrom?.FieldRef?.FieldPath switch
            {
                "metadata.namespace" => Namespace,
                "metadata.name" => podName,
                var other => throw new InvalidOperationException($"The chart sets {e.Name} from {other ?? "a source"} this test cannot resolve"),
            });

    public string LeaseName => OperatorContainer.Env.Single(e => e.Name == "Operator__LeaderElection__LeaseName").Value;
}
