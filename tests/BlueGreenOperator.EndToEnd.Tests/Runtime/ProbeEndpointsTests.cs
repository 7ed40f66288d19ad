using System.Net;
using System.Net.Sockets;
using BlueGreenOperator.LocalCluster;
using BlueGreenOperator.LocalCluster.Testing;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests.Runtime;

/// <summary>/healthz and /readyz of the real operator process: what they say when all is well and when the API server is gone.</summary>
[TestFixture]
public sealed class ProbeEndpointsTests
{
    [Test]
    public async Task Should_say_live_and_ready_with_every_informer_synced_and_the_role()
    {
        await using var rollout = await ModelRollout.StartAsync();

        var (liveStatus, live) = await rollout.Operator.GetAsync("/healthz");
        var (readyStatus, ready) = await rollout.Operator.GetAsync("/readyz");

        liveStatus.Should().Be(200);
        live.Should().Be("ok\n");
        readyStatus.Should().Be(200);
        ready.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal(
            "ready: leading",
            $"informer bluegreendeployments ({rollout.Ns}): synced",
            $"informer deployments ({rollout.Ns}): synced",
            $"informer services ({rollout.Ns}): synced",
            $"informer pods ({rollout.Ns}): synced",
            $"informer controllerrevisions ({rollout.Ns}): synced");
    }

    [Test]
    public async Task Should_fail_liveness_once_the_informers_did_not_sync_within_the_bound_and_say_why()
    {
        var scratch = Directory.CreateTempSubdirectory("bluegreen-probes-");
        try
        {
            // An API server address where nothing listens: no list can ever succeed.
            var kubeconfig = Path.Combine(scratch.FullName, "kubeconfig");
            await File.WriteAllTextAsync(kubeconfig, $$$"""
                apiVersion: v1
                kind: Config
                clusters: [{name: gone, cluster: {server: "https://127.0.0.1:{{{ClosedPort()}}}", insecure-skip-tls-verify: true}}]
                users: [{name: nobody, user: {token: none}}]
                contexts: [{name: gone, context: {cluster: gone, user: nobody}}]
                current-context: gone
                """);
            await using var op = await OperatorProcess.StartAsync("ml", waitReady: false, kubeconfig: kubeconfig,
                environment: new Dictionary<string, string> { ["Operator__Health__InformerSyncTimeoutSeconds"] = "3" });

            string live = "";
            await Eventually.UntilAsync(async _ =>
            {
                int status;
                (status, live) = await op.GetAsync("/healthz");
                return status == 503;
            }, TimeSpan.FromSeconds(60), "/healthz to fail");
            var (readyStatus, ready) = await op.GetAsync("/readyz");

            live.Should().StartWith("unhealthy\n");
            live.Should().MatchRegex(@"informer bluegreendeployments \(ml\) not synced after \d+ s \(bound 3 s\); last error: .+");
            readyStatus.Should().Be(503);
            ready.Should().StartWith("not ready: informers not synced (leading)\n", "leader election is off: this instance leads alone");
            ready.Should().MatchRegex(@"informer services \(ml\): not synced; last error: .+");
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
