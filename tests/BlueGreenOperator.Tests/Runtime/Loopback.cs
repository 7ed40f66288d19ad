using System.Net;
using System.Net.Sockets;

namespace BlueGreenOperator.Tests.Runtime;

/// <summary>Small shared pieces of the runtime tests: a free loopback port and a bounded wait for a condition.</summary>
internal static class Loopback
{
    public static Uri FreeAddress()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return new Uri($"http://127.0.0.1:{((IPEndPoint)probe.LocalEndpoint).Port}/");
    }

    public static async Task Until(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(Patience.Wait);
        while (!condition())
        {
            await Task.Delay(5, deadline.Token);
        }
    }
}
