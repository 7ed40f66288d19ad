using BlueGreenOperator.Plugin.Cluster;

namespace BlueGreenOperator.Plugin.Commands;

/// <summary>What a requested action found: the phase it was requested in, and the pending action it replaced, if any.</summary>
internal sealed record ActionRequested(string Phase, string? ReplacedPending)
{
    public string Summary(string verb, string name) =>
        $"bluegreendeployment.{WellKnown.Group}/{name} {verb} requested (phase {Phase}); the operator performs it once and removes the annotation";
}

/// <summary>promote, abort, rollback and retry: check the operator's action table, then set the action annotation for the operator.</summary>
internal static class ActionCommand
{
    // Status writes bump resourceVersion often (analysis runs), so a conflict earns a fresh read and a new check.
    private const int Attempts = 5;

    public static async Task<int> RunAsync(Invocation invocation, ClusterTarget target, BlueGreenApi api, Terminal terminal, CancellationToken cancellationToken)
    {
        var (verb, name) = (invocation.Verb, invocation.Name!);
        var requested = await RequestAsync(api, target.Namespace, name, verb, invocation.Force, cancellationToken);
        if (requested.ReplacedPending is { } pending)
        {
            await terminal.Error.WriteLineAsync($"note: this replaces the pending action \"{pending}\" the operator had not performed yet");
        }

        await terminal.Out.WriteLineAsync(requested.Summary(verb, name));
        return ExitCode.Ok;
    }

    /// <summary>The one way to request an action, for the command line and the dashboard alike; a refusal is thrown as a <see cref="CommandFailure"/>.</summary>
    public static async Task<ActionRequested> RequestAsync(BlueGreenApi api, string ns, string name, string verb, bool force, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            var item = await api.GetAsync(ns, name, cancellationToken);
            var request = ActionRequest.Decide(verb, item, force);
            if (request.Refusal is { } refusal)
            {
                throw refusal;
            }

            if (await api.TryMergePatchAsync(ns, name, request.MergePatch!, cancellationToken))
            {
                var pending = item.Metadata.Annotations?.TryGetValue(WellKnown.ActionAnnotation, out var value) == true && value != verb ? value : null;
                return new ActionRequested(item.Status?.Phase ?? "<none>", pending);
            }
        }

        throw new CommandFailure(ExitCode.ClusterError,
            $"bluegreendeployment \"{name}\" kept changing while {verb} was requested ({Attempts} attempts); try again");
    }
}
