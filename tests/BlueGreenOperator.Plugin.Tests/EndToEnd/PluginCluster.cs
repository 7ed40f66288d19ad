using System.Reflection;
using BlueGreenOperator.LocalCluster.ControlPlane;
using BlueGreenOperator.LocalCluster.Testing;
using k8s;
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
            Assert.Fail("kubectl is neither on PATH nor in the Kubernetes binaries cache (bash hack/prereqs.sh installs it); the plugin's end-to-end tests run it for real");
        }

        if (SharedCluster.UnavailableReason() is { } reason)
        {
            Assert.Fail($"The plugin's end-to-end tests need the local control plane (bash hack/prereqs.sh installs it): {reason}");
        }

        PluginBin = await InstalledPlugin.InstallAsync();
        // Under the test output directory, so the logs kept after the run are easy to find and git-ignored.
        var directory = Path.Combine(TestContext.CurrentContext.WorkDirectory, ".local-cluster-plugin-e2e");
        var cluster = await SharedCluster.StartAsync(directory, new LocalClusterOptions(), NullLogger.Instance);
        Client = cluster.CreateClient();
        await Client.InstallFileAsync(CrdPath);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        Client?.Dispose();
        await SharedCluster.StopAsync();
    }
}
