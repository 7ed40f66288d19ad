using BlueGreenOperator.Plugin.Dashboard;

namespace BlueGreenOperator.Plugin.Tests.Dashboard;

/// <summary>The dashboard answers its own address only, and takes actions only from its own page.</summary>
public sealed class DashboardServerTests
{
    [TestCase("127.0.0.1:3100", true)]
    [TestCase("localhost:3100", true)]
    [TestCase("[::1]:3100", true)]
    [TestCase("192.168.1.20:3100", true)]
    [TestCase("127.0.0.1:3101", false)]
    [TestCase("attacker.example:3100", false)]
    [TestCase("localhost.attacker.example:3100", false)]
    [TestCase("127.0.0.1", false)]
    [TestCase("", false)]
    public void Should_answer_only_requests_to_an_ip_address_or_localhost_on_its_port(string host, bool served)
    {
        DashboardServer.IsServedHost(host, 3100).Should().Be(served);
    }

    [Test]
    public void Should_take_an_action_from_its_own_page()
    {
        DashboardServer.RefuseAction("http://127.0.0.1:3100", "127.0.0.1:3100", "application/json", "same-origin").Should().BeNull();
    }

    [TestCase("http://attacker.example", "application/json", "cross-site")]
    [TestCase(null, "application/json", null)]
    [TestCase("http://127.0.0.1:3100", "application/json", "same-site")]
    [TestCase("http://127.0.0.1:3100", "text/plain", "same-origin")]
    public void Should_refuse_an_action_from_anywhere_else(string? origin, string contentType, string? fetchSite)
    {
        DashboardServer.RefuseAction(origin, "127.0.0.1:3100", contentType, fetchSite).Should().NotBeNull();
    }
}
