using System.Net;
using System.Reflection;
using BlueGreenOperator.LocalCluster;
using BlueGreenOperator.LocalCluster.ControlPlane;
using BlueGreenOperator.LocalCluster.Testing;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueGreenOperator.Plugin.Tests.EndToEnd;

/// <summary>
/// One real control plane for the plugin's end-to-end tests (this namespace only), with the CRD installed and the plugin
/// installed for the real kubectl. No operator runs: the tests write status themselves, as the operator would.
/// </summary>
[SetUpFixture]
public sealed class PluginCluster
{
    public static IKubernetes Client { get; private set; } = null!;

    public static string Kubeconfig => SharedCluster.Current.KubeconfigPath;

    public static string KubectlPath { get; private set; } = null!;

    public static string PluginBin { get; private set; } = null!;

    private static string CrdPath => Path.GetFullPath(typeof(PluginCluster).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "CrdPath").Value!);

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        KubectlPath = InstalledPlugin.Kubectl ?? "";
        if (KubectlPath.Length == 0)
        {
            Assert.Ignore("kubectl is not on PATH; the plugin's end-to-end tests run it for real");
        }

        if (SharedCluster.UnavailableReason() is { } reason)
        {
            Assert.Ignore($"The plugin's end-to-end tests need the local control plane: {reason}");
        }

        PluginBin = await InstalledPlugin.InstallAsync();
        // Under the test output directory, so the logs kept after the run are easy to find and git-ignored.
        var directory = Path.Combine(TestContext.CurrentContext.WorkDirectory, ".local-cluster-plugin-e2e");
        var cluster = await SharedCluster.StartAsync(directory, new LocalClusterOptions(), NullLogger.Instance);
        Client = cluster.CreateClient();
        await InstallCrdAsync();
        await SkipIfCustomResourceWritesCrashTheApiServerAsync(cluster);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        Client?.Dispose();
        await SharedCluster.StopAsync();
    }

    /// <summary>
    /// Kubernetes 1.20.2 built with Go 1.18 or later and its vendored reflect2 1.0.1 dies ("fatal error: fault") on the
    /// first write of any custom resource; the tests can say nothing about the plugin on such a build, so they skip.
    /// </summary>
    private static async Task SkipIfCustomResourceWritesCrashTheApiServerAsync(LocalCluster.ControlPlane.LocalCluster cluster)
    {
        var probe = new BlueGreenDeployment
        {
            Metadata = new V1ObjectMeta { Name = "write-probe", NamespaceProperty = "default" },
            Spec = new BlueGreenDeploymentSpec
            {
                Model = new ModelSpec { Name = "probe", Version = "1" },
                Service = new ServiceSpec { Name = "write-probe", Ports = [new ServicePortSpec { Port = 80, TargetPort = 8080 }] },
            },
        };
        try
        {
            await Client.CustomObjects.CreateNamespacedCustomObjectAsync(probe, WellKnown.Group, WellKnown.Version, "default", WellKnown.Plural);
            await Client.CustomObjects.DeleteNamespacedCustomObjectAsync(WellKnown.Group, WellKnown.Version, "default", WellKnown.Plural, "write-probe");
        }
        catch (HttpRequestException) when (ApiServerLog(cluster).Contains("fatal error: fault", StringComparison.Ordinal))
        {
            Assert.Ignore("The local kube-apiserver crashed writing a custom resource (fatal error in its JSON encoder: the vendored "
                + "github.com/modern-go/reflect2 v1.0.1 does not work with Go 1.18+). Rebuild the cached Kubernetes binaries with "
                + "reflect2 1.0.2 (Debian golang-github-modern-go-reflect2-dev) in the source tree's vendor/.");
        }
    }

    private static string ApiServerLog(LocalCluster.ControlPlane.LocalCluster cluster)
    {
        var log = Path.Combine(cluster.Directory, "logs", "kube-apiserver.log");
        return File.Exists(log) ? File.ReadAllText(log) : "";
    }

    private static async Task InstallCrdAsync()
    {
        var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(CrdPath));
        try
        {
            await Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Already there from an earlier fixture of this run.
        }

        await Eventually.UntilAsync(
            async token => (await Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name, cancellationToken: token))
                .Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true,
            TimeSpan.FromSeconds(30),
            "the BlueGreenDeployment CRD to be established");
    }
}
