using BlueGreenOperator.Plugin.Cluster;
using BlueGreenOperator.Plugin.Rendering;

namespace BlueGreenOperator.Plugin.Commands;

internal static class ListCommand
{
    public static async Task<int> RunAsync(Invocation invocation, ClusterTarget target, BlueGreenApi api, Terminal terminal, CancellationToken cancellationToken)
    {
        var ns = invocation.AllNamespaces ? null : target.Namespace;
        var items = (await api.ListAsync(ns, cancellationToken)).Items;
        if (items.Count == 0)
        {
            await terminal.Error.WriteLineAsync(ns is null ? "No BlueGreenDeployments found." : $"No BlueGreenDeployments found in namespace \"{ns}\".");
            return ExitCode.Ok;
        }

        await terminal.Out.WriteAsync(ListView.Render(items, invocation.AllNamespaces, terminal.Clock.GetUtcNow()));
        return ExitCode.Ok;
    }
}
