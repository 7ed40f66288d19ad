using System.Net;
using BlueGreenOperator.Plugin.Cluster;
using BlueGreenOperator.Plugin.Commands;
using k8s;

namespace BlueGreenOperator.Plugin.Dashboard;

/// <summary><c>kubectl bluegreen dashboard</c>: follows the objects with the user's own client and serves the page until Ctrl-C.</summary>
internal static class DashboardCommand
{
    public static async Task<int> RunAsync(Invocation invocation, ClusterTarget target, IKubernetes client, BlueGreenApi api, Terminal terminal, CancellationToken cancellationToken)
    {
        var ns = invocation.AllNamespaces ? null : target.Namespace;
        var mirror = new ClusterMirror(client, api, target.Configuration.Host, ns, terminal.Clock);
        var scope = ns is null ? "all namespaces" : $"namespace {ns}";
        using var server = new DashboardServer(mirror, RequestAsync, scope);
        server.Start(IPAddress.Parse(invocation.Address ?? DashboardDefaults.Address), invocation.Port ?? DashboardDefaults.Port);
        await terminal.Out.WriteLineAsync($"Serving the BlueGreenDeployments of {scope} at {server.Url} as your kubeconfig's user (Ctrl-C to stop)");
        await terminal.Out.FlushAsync(cancellationToken);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var following = mirror.RunAsync(stop.Token);
        await server.RunAsync(cancellationToken);
        await stop.CancelAsync();
        await following.ContinueWith(_ => { }, TaskScheduler.Default);
        return ExitCode.Ok;

        async Task<string> RequestAsync(string objectNamespace, string name, string verb, CancellationToken token)
        {
            var requested = await ActionCommand.RequestAsync(api, objectNamespace, name, verb, force: false, token);
            var replaced = requested.ReplacedPending is { } pending ? $" (it replaces the pending action \"{pending}\")" : "";
            return requested.Summary(verb, name) + replaced;
        }
    }
}
