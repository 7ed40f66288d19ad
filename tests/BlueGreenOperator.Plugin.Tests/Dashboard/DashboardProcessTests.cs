using System.Net;
using System.Net.Sockets;
using BlueGreenOperator.Plugin.Tests.EndToEnd;
using static Microsoft.Playwright.Assertions;

namespace BlueGreenOperator.Plugin.Tests.Dashboard;

/// <summary>The built dashboard as a real process, with no API server to talk to, seen in a real chromium.</summary>
public sealed class DashboardProcessTests : UnreachableClusterTests
{
    [Test]
    public async Task Should_serve_the_page_and_say_in_it_why_nothing_can_be_listed()
    {
        await using var dashboard = await DashboardSession.StartAsync("dotnet", [PluginDll, "dashboard", "--port", "0", "--kubeconfig", Kubeconfig],
            new Dictionary<string, string?>());

        dashboard.Url.Host.Should().Be("127.0.0.1", "the dashboard listens on loopback unless told otherwise");
        dashboard.Output.Should().StartWith($"Serving the BlueGreenDeployments of namespace ml at {dashboard.Url} as your kubeconfig's user (Ctrl-C to stop)\n");
        const string Unreachable = "cannot reach the API server at https://127.0.0.1:1: Connection refused (127.0.0.1:1)";
        await Expect(dashboard.Page.Locator("#problem")).ToHaveTextAsync(
            $"cannot follow BlueGreenDeployments: {Unreachable}; cannot follow Events: {Unreachable}");
        await Expect(dashboard.Page.Locator("#scope")).ToHaveTextAsync("namespace ml");
        await Expect(dashboard.Page.Locator("#empty")).ToBeVisibleAsync();
        await dashboard.ScreenshotAsync("unreachable");
    }

    [Test]
    public async Task Should_exit_4_with_one_line_when_the_port_is_taken()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var outcome = await RealProcess.RunAsync("dotnet", [PluginDll, "dashboard", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--kubeconfig", Kubeconfig]);

        outcome.ExitCode.Should().Be(4, outcome.ToString());
        outcome.StandardError.Should().StartWith($"error: cannot listen on 127.0.0.1:{port}: ").And.EndWith("\n");
        outcome.StandardError.Trim().Should().NotContain("\n", "one line, no stack trace");
    }
}
