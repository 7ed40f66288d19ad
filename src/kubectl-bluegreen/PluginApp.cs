using BlueGreenOperator.Plugin.Cluster;
using BlueGreenOperator.Plugin.Commands;
using k8s;

namespace BlueGreenOperator.Plugin;

/// <summary>Parses, connects and dispatches; every failure ends as one "error:" line and an exit code, never a stack trace.</summary>
internal static class PluginApp
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, Terminal terminal, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        switch (CommandLine.Parse(args))
        {
            case ShowHelp help:
                await terminal.Out.WriteAsync(Usage.For(help.Verb));
                return ExitCode.Ok;
            case UsageError usage:
                await terminal.Error.WriteAsync($"error: {usage.Message}\n\n{Usage.For(usage.Verb)}");
                return ExitCode.UsageError;
            case RunCommand run:
                return await RunAsync(run.Invocation, terminal, environment, cancellationToken);
            default:
                throw new InvalidOperationException("unhandled command line");
        }
    }

    private static async Task<int> RunAsync(Invocation invocation, Terminal terminal, Func<string, string?> environment, CancellationToken cancellationToken)
    {
        var server = "the API server";
        try
        {
            var target = ClusterTarget.Resolve(invocation, environment);
            server = target.Configuration.Host;
            using var client = new Kubernetes(target.Configuration);
            var api = new BlueGreenApi(client, server);
            return invocation.Verb switch
            {
                Verb.List => await ListCommand.RunAsync(invocation, target, api, terminal, cancellationToken),
                Verb.Status => await StatusCommand.RunAsync(invocation, target, api, terminal, cancellationToken),
                Verb.Dashboard => await Dashboard.DashboardCommand.RunAsync(invocation, target, client, api, terminal, cancellationToken),
                _ => await ActionCommand.RunAsync(invocation, target, api, terminal, cancellationToken),
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCode.Ok;
        }
        catch (Exception e)
        {
            var failure = ApiFailures.Describe(e, server);
            await terminal.Error.WriteLineAsync("error: " + failure.Message);
            return failure.ExitCode;
        }
    }
}
