using BlueGreenOperator.Plugin.Cluster;

namespace BlueGreenOperator.Plugin.Commands;

/// <summary>promote, abort, rollback and retry: check the operator's action table, then set the action annotation for the operator.</summary>
internal static class ActionCommand
{
    // Status writes bump resourceVersion often (analysis runs), so a conflict earns a fresh read and a new check.
    private const int Attempts = 5;

    public static async Task<int> RunAsync(Invocation invocation, ClusterTarget target, BlueGreenApi api, Terminal terminal, CancellationToken cancellationToken)
    {
        var (verb, name, ns) = (invocation.Verb, invocation.Name!, target.Namespace);
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            var item = await api.GetAsync(ns, name, cancellationToken);
            var request = ActionRequest.Decide(verb, item, invocation.Force);
            if (request.Refusal is { } refusal)
            {
                throw refusal;
            }

            if (await api.TryMergePatchAsync(ns, name, request.MergePatch!, cancellationToken))
            {
                if (item.Metadata.Annotations?.TryGetValue(WellKnown.ActionAnnotation, out var pending) == true && pending != verb)
                {
                    await terminal.Error.WriteLineAsync($"note: this replaces the pending action \"{pending}\" the operator had not performed yet");
                }

                var phase = item.Status?.Phase ?? "<none>";
                await terminal.Out.WriteLineAsync(
                    $"bluegreendeployment.{WellKnown.Group}/{name} {verb} requested (phase {phase}); the operator performs it once and removes the annotation");
                return ExitCode.Ok;
            }
        }

        throw new CommandFailure(ExitCode.ClusterError,
            $"bluegreendeployment \"{name}\" kept changing while {verb} was requested ({Attempts} attempts); try again");
    }
}
