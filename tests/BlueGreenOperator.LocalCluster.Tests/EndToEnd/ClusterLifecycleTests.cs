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
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Should_fail_at_once_and_remove_what_it_started_when_the_api_server_exits()
    {
        var binaries = Directory.CreateTempSubdirectory("bluegreen-broken-binaries-").FullName;
        var directory = LocalClusterSetUp.WorkDirectory(".local-cluster-broken");
        try
        {
            foreach (var name in Install.KubernetesBinaries.Names)
            {
                var path = Path.Combine(binaries, name);
                await File.WriteAllTextAsync(path, "#!/bin/sh\necho broken on purpose >&2\nexit 1\n");
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            }

            await File.WriteAllTextAsync(Path.Combine(binaries, "recipe"), Install.KubernetesBinaries.Recipe);

            var options = new LocalClusterOptions { BinaryDirectory = binaries, StartTimeout = TimeSpan.FromMinutes(2) };
            var start = () => ControlPlane.LocalCluster.StartAsync(directory, options, LocalClusterSetUp.Logger);

            (await start.Should().ThrowAsync<InvalidOperationException>()).WithMessage("*kube-apiserver exited*");
            File.ReadAllText(Path.Combine(directory, "logs", "kube-apiserver.log")).Should().Contain("broken on purpose", "the logs stay for a post-mortem");
            File.Exists(Path.Combine(directory, ClusterState.FileName)).Should().BeFalse();
        }
        finally
        {
            Directory.Delete(binaries, recursive: true);
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [TestCase("gc_thresh1", 1)]
    [TestCase("gc_thresh2", 2)]
    [TestCase("gc_thresh3", 4)]
    public void Should_give_the_host_neighbour_table_room_for_every_pod_of_a_full_subnet(string threshold, int subnets)
    {
        SharedCluster.Current.State.Prefix.Should().NotBeEmpty("a cluster has started");

        var value = int.Parse(File.ReadAllText($"/proc/sys/net/ipv4/neigh/default/{threshold}").Trim(), System.Globalization.CultureInfo.InvariantCulture);

        value.Should().BeGreaterThanOrEqualTo(subnets * ClusterState.PodSubnetHosts,
            "with Linux's defaults (512 soft, 1,024 hard) pods past about 600 lose their ARP entries and never become ready");
    }

    [Test]
    public async Task Should_accept_down_twice()
    {
        var directory = LocalClusterSetUp.WorkDirectory(".local-cluster-never-started");

        await ControlPlane.LocalCluster.DownAsync(directory, LocalClusterSetUp.Logger, CancellationToken.None);
        await ControlPlane.LocalCluster.DownAsync(directory, LocalClusterSetUp.Logger, CancellationToken.None);

        Directory.Exists(directory).Should().BeFalse();
    }

    [Test]
    // Every cluster start sweeps too: a test starting a cluster meanwhile could remove the stale network first.
    [NonParallelizable]
    public async Task Should_sweep_the_network_of_a_cluster_without_processes_but_spare_one_just_claimed()
    {
        // High indexes that a real cluster on this machine is unlikely to hold.
        const string stale = "bgc249";
        const string starting = "bgc248";
        await CreateBridgeAndNamespaceAsync(stale);
        await CreateBridgeAndNamespaceAsync(starting);
        Directory.CreateDirectory(PodNetwork.ClaimDirectory);
        await File.WriteAllTextAsync(Path.Combine(PodNetwork.ClaimDirectory, starting), "a cluster starting right now");
        try
        {
            var removed = await StaleClusterSweep.RemoveAsync(LocalClusterSetUp.Logger, CancellationToken.None);

            removed.Should().Contain(stale).And.NotContain(starting).And.NotContain(SharedCluster.Current.State.Prefix);
            (await PodNetwork.ListLinksAsync(stale, CancellationToken.None)).Should().BeEmpty();
            (await PodNetwork.ListNamespacesAsync(stale, CancellationToken.None)).Should().BeEmpty();
            (await PodNetwork.ListLinksAsync(starting, CancellationToken.None)).Should().ContainSingle();
        }
        finally
        {
            await PodNetwork.RemoveAllAsync(starting, includeBridge: true, CancellationToken.None);
            await PodNetwork.RemoveAllAsync(stale, includeBridge: true, CancellationToken.None);
            PodNetwork.ReleaseClaim(starting);
        }
    }

    private static async Task CreateBridgeAndNamespaceAsync(string prefix)
    {
        await HostCommand.RunCheckedAsync("/usr/sbin/ip", ["link", "add", "name", prefix + "br", "type", "bridge"]);
        await HostCommand.RunCheckedAsync("/usr/sbin/ip", ["netns", "add", $"{prefix}-0123456789ab"]);
    }
}
