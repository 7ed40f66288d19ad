using BlueGreenOperator.Plugin.Cluster;
using BlueGreenOperator.Plugin.Rendering;
using k8s;

namespace BlueGreenOperator.Plugin.Commands;

internal static class StatusCommand
{
    // Home the cursor and clear the screen, so that a watch redraws in place like `watch` does.
    private const string ClearScreen = "\u001b[H\u001b[2J";

    public static async Task<int> RunAsync(Invocation invocation, ClusterTarget target, BlueGreenApi api, Terminal terminal, CancellationToken cancellationToken)
    {
        var name = invocation.Name!;
        var item = await api.GetAsync(target.Namespace, name, cancellationToken);
        await DrawAsync(item, await api.EventsAsync(item, cancellationToken), invocation.Watch, terminal);
        if (!invocation.Watch)
        {
            return ExitCode.Ok;
        }

        var resourceVersion = item.Metadata.ResourceVersion;
        while (!cancellationToken.IsCancellationRequested)
        {
            await foreach (var (type, changed) in api.WatchAsync(target.Namespace, name, resourceVersion, cancellationToken))
            {
                if (type == WatchEventType.Deleted)
                {
                    await terminal.Error.WriteLineAsync($"bluegreendeployment \"{name}\" was deleted from namespace \"{target.Namespace}\"");
                    return ExitCode.NotFound;
                }

                if (type == WatchEventType.Error)
                {
                    // Usually 410 Gone: our resourceVersion is too old; read the object afresh and watch from there.
                    resourceVersion = null;
                    break;
                }

                if (type is WatchEventType.Added or WatchEventType.Modified)
                {
                    item = changed;
                    resourceVersion = changed.Metadata.ResourceVersion;
                    await DrawAsync(item, await api.EventsAsync(item, cancellationToken), true, terminal);
                }
            }

            if (resourceVersion is null && !cancellationToken.IsCancellationRequested)
            {
                item = await api.GetAsync(target.Namespace, name, cancellationToken);
                resourceVersion = item.Metadata.ResourceVersion;
                await DrawAsync(item, await api.EventsAsync(item, cancellationToken), true, terminal);
            }
        }

        return ExitCode.Ok;
    }

    private static async Task DrawAsync(BlueGreenDeployment item, IEnumerable<k8s.Models.Corev1Event> events, bool watching, Terminal terminal)
    {
        var now = terminal.Clock.GetUtcNow();
        var page = StatusView.Render(item, events, now);
        if (!watching)
        {
            await terminal.Out.WriteAsync(page);
            return;
        }

        var header = $"Every change of bluegreendeployment \"{item.Metadata.Name}\", last at {Age.Timestamp(now.UtcDateTime)} (Ctrl-C to stop)\n\n";
        await terminal.Out.WriteAsync(terminal.IsInteractive ? ClearScreen + header + page : header + page + "\n");
        await terminal.Out.FlushAsync();
    }
}
