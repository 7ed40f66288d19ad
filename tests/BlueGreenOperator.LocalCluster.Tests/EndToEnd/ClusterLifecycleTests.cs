using BlueGreenOperator.LocalCluster.ControlPlane;
using BlueGreenOperator.LocalCluster.Networking;
using BlueGreenOperator.LocalCluster.Processes;
using BlueGreenOperator.LocalCluster.Testing;
using FluentAssertions;
using k8s;
using NUnit.Framework;

namespace BlueGreenOperator.LocalCluster.Tests.EndToEnd;

/// <summary>A second cluster beside the shared one: started, crashed, and removed by `down` without leftovers.</summary>
public sealed class ClusterLifecycleTests
{
    [Test]
    public async Task Should_leave_no_process_namespace_or_link_after_down_even_when_the_kubelet_crashed()
    {
        var directory = LocalClusterSetUp.WorkDirectory(".local-cluster-lifecycle");
        var cluster = await ControlPlane.LocalCluster.StartAsync(directory, new LocalClusterOptions(), LocalClusterSetUp.Logger, CancellationToken.None);
        var prefix = cluster.State.Prefix;
        try
        {
            prefix.Should().NotBe(SharedCluster.Current.State.Prefix, "clusters side by side get a network of their own");
            using var client = cluster.CreateClient();
            await using var space = await TestNamespace.CreateAsync(client, "lifecycle");
            await client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("orphan", Workloads.HttpContainer()), space.Name);
            await client.WaitForPodAsync(space.Name, "orphan", pod => pod.IsReady(), "to be ready");

            // A crashed kubelet leaves its pods' processes and namespaces behind.
            ProcessSignals.Send(cluster.State.Pids[ClusterProcess.Kubelet], ProcessSignals.SigKill);
            (await PodNetwork.ListNamespacesAsync(prefix, CancellationToken.None)).Should().ContainSingle();
        }
        finally
        {
            await ControlPlane.LocalCluster.DownAsync(directory, LocalClusterSetUp.Logger, CancellationToken.None);
        }

        ProcessSignals.FindMarked(prefix).Should().BeEmpty();
        (await PodNetwork.ListNamespacesAsync(prefix, CancellationToken.None)).Should().BeEmpty();
        (await PodNetwork.ListLinksAsync(prefix, CancellationToken.None)).Should().BeEmpty();
        Directory.Exists(directory).Should().BeFalse();
    }

    [Test]
    public async Task Should_accept_down_twice()
    {
        var directory = LocalClusterSetUp.WorkDirectory(".local-cluster-never-started");

        await ControlPlane.LocalCluster.DownAsync(directory, LocalClusterSetUp.Logger, CancellationToken.None);
        await ControlPlane.LocalCluster.DownAsync(directory, LocalClusterSetUp.Logger, CancellationToken.None);

        Directory.Exists(directory).Should().BeFalse();
    }
}
