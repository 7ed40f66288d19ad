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
}
