using BlueGreenOperator.Checks;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Checks;

/// <summary>Checks only ever call the pod's own address; anything that could lead elsewhere is refused.</summary>
[TestFixture]
public sealed class CheckTargetTests
{
    [TestCase("10.244.1.7", 8080, "/v2/health/ready", "http://10.244.1.7:8080/v2/health/ready")]
    [TestCase("10.244.1.7", 80, "/", "http://10.244.1.7:80/")]
    [TestCase("10.244.1.7", 8080, "/v2/models/iris/infer?trace=1", "http://10.244.1.7:8080/v2/models/iris/infer?trace=1")]
    [TestCase("fd00:10:244::7", 8080, "/v2/health/ready", "http://[fd00:10:244::7]:8080/v2/health/ready")]
    public void Should_address_the_pod_ip_and_port(string ip, int port, string path, string expected)
    {
        var address = new CheckTarget("p", ip).Address(port, path, out var problem);

        problem.Should().BeNull();
        address!.OriginalString.Should().Be(expected);
    }

    [TestCase("10.244.1.7", 8080, "http://evil.example/x", "must be an absolute path")]
    [TestCase("10.244.1.7", 8080, "//evil.example/x", "must be an absolute path")]
    [TestCase("10.244.1.7", 8080, "v2/health/ready", "must be an absolute path")]
    [TestCase("10.244.1.7", 8080, "", "must be an absolute path")]
    [TestCase("10.244.1.7", 8080, "/\\evil.example/x", "must be an absolute path")]
    [TestCase("10.244.1.7", 8080, "/a b", "must be an absolute path")]
    [TestCase("10.244.1.7", 8080, "/x\r\nHost: evil", "must be an absolute path")]
    [TestCase("evil.example", 8080, "/", "is not an IP address")]
    [TestCase("10.244.1.7:9090", 8080, "/", "is not an IP address")]
    [TestCase("10.244.1.7", 0, "/", "port 0 is out of range")]
    [TestCase("10.244.1.7", 70000, "/", "port 70000 is out of range")]
    public void Should_refuse_anything_but_a_path_on_the_pod(string ip, int port, string path, string reason)
    {
        var address = new CheckTarget("p", ip).Address(port, path, out var problem);

        address.Should().BeNull();
        problem.Should().Contain(reason);
    }
}
