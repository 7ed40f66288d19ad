using BlueGreenOperator.LocalCluster.ControlPlane;
using BlueGreenOperator.LocalCluster.Networking;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.LocalCluster.Tests;

[TestFixture]
public sealed class PodNetworkTests
{
    [Test]
    public void Should_give_an_address_the_same_locally_administered_mac_every_time()
    {
        PodNetwork.MacFor("10.213.7.42").Should().Be("02:42:0a:d5:07:2a");
        PodNetwork.MacFor("10.213.7.42").Should().Be(PodNetwork.MacFor("10.213.7.42"), "a reused address keeps its MAC, so a stale neighbour entry stays right");
        PodNetwork.MacFor("10.213.7.43").Should().NotBe(PodNetwork.MacFor("10.213.7.42"));
    }

    [Test]
    public void Should_give_each_cluster_a_pod_subnet_of_4094_addresses_apart_from_every_other()
    {
        var first = State(1);
        var last = State(250);

        first.PodSubnet.Should().Be("10.224.16.0/20");
        first.BridgeAddress.Should().Be("10.224.16.1");
        first.PodAddress(ClusterState.PodSubnetHosts).Should().Be("10.224.31.254");
        ClusterState.BridgeCidrFor(1).Should().Be("10.224.16.1/20");
        last.PodSubnet.Should().Be("10.239.160.0/20");
        State(15).PodAddress(ClusterState.PodSubnetHosts).Should().Be("10.224.255.254");
        State(16).PodAddress(1).Should().Be("10.225.0.1", "index 16 starts the next second octet, no overlap with index 15");
        first.InPodSubnet("10.224.20.7").Should().BeTrue();
        first.InPodSubnet("10.224.32.7").Should().BeFalse();
        first.InPodSubnet("10.213.1.7").Should().BeFalse("clusters of older versions keep 10.213.N.0/24");
    }

    static ClusterState State(int index) => new() { Prefix = ClusterState.PrefixFor(index), NetworkIndex = index, NodeName = "node" };
}
