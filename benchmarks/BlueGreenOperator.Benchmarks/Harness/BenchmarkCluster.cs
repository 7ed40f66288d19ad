using System.Net;
using BlueGreenOperator.Api;
using BlueGreenOperator.LocalCluster;
using BlueGreenOperator.LocalCluster.ControlPlane;
using BlueGreenOperator.LocalCluster.Testing;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Benchmarks.Harness;

/// <summary>A local control plane of the benchmark's own, in a temporary directory, with the CRD installed and one namespace.</summary>
internal sealed class BenchmarkCluster : IAsyncDisposable
{
    readonly LocalCluster.ControlPlane.LocalCluster cluster;
    readonly string directory;

    BenchmarkCluster(LocalCluster.ControlPlane.LocalCluster cluster, string directory, IKubernetes client, string namespaceName)
    {
        this.cluster = cluster;
        this.directory = directory;
        Client = client;
        Namespace = namespaceName;
    }

    public IKubernetes Client { get; }

    /// <summary>The one namespace the operator watches and every benchmark object lives in.</summary>
    public string Namespace { get; }

    public string KubeconfigPath => cluster.KubeconfigPath;

    public static async Task<BenchmarkCluster> StartAsync(BuildOutputs outputs, ILogger logger, CancellationToken cancellationToken)
    {
        var options = new LocalClusterOptions { ModelServerDll = outputs.ModelServerDll };
        if (SharedCluster.UnavailableReason(options) is { } reason)
            throw new InvalidOperationException($"The benchmark needs the local control plane: {reason}");

        var directory = Path.Combine(Path.GetTempPath(), $"bluegreen-benchmark-{Environment.ProcessId}");
        var cluster = await LocalCluster.ControlPlane.LocalCluster.StartAsync(directory, options, logger, cancellationToken);
        try
        {
            var client = cluster.CreateClient();
            await client.InstallFileAsync(outputs.CrdPath, cancellationToken);
            var space = await TestNamespace.CreateAsync(client, "benchmark", cancellationToken);
            await WaitUntilAdmissionKnowsTheKindAsync(client, space.Name, cancellationToken);
            return new BenchmarkCluster(cluster, directory, client, space.Name);
        }
        catch
        {
            await cluster.StopAsync();
            throw;
        }
    }

    /// <summary>
    /// An established CRD is not yet known to the API server's admission: until its discovery catches up,
    /// OwnerReferencesPermissionEnforcement refuses an ownerReference with blockOwnerDeletion to the new kind (403
    /// "cannot find RESTMapping"), which is every object the operator creates for a release. A stage that released
    /// objects at once would measure those refusals and their back-off; so wait until a dry-run create with such an
    /// ownerReference is admitted.
    /// </summary>
    static async Task WaitUntilAdmissionKnowsTheKindAsync(IKubernetes client, string ns, CancellationToken cancellationToken)
    {
        var probe = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta
            {
                Name = "admission-probe",
                OwnerReferences =
                [
                    new V1OwnerReference
                    {
                        ApiVersion = $"{WellKnown.Group}/{WellKnown.Version}", Kind = WellKnown.Kind, Name = "admission-probe",
                        Uid = Guid.NewGuid().ToString(), BlockOwnerDeletion = true, Controller = true,
                    },
                ],
            },
        };
        await Eventually.UntilAsync(
            async ct =>
            {
                try
                {
                    await client.CoreV1.CreateNamespacedConfigMapAsync(probe, ns, dryRun: "All", cancellationToken: ct);
                    return true;
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(120), "the API server's admission to know the BlueGreenDeployment kind", cancellationToken);
    }

    /// <summary>Stops every process of the cluster (pods included) and removes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await cluster.StopAsync();
        if (Directory.Exists(directory))
            Directory.Delete(directory, recursive: true);
    }
}
