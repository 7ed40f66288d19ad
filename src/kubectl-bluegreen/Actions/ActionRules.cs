namespace BlueGreenOperator.Plugin.Actions;

/// <summary>Whether an action verb applies to an object in its current state.</summary>
internal sealed record Applicability(bool Applies, string Reason);

/// <summary>When each action makes sense; the operator ignores an action that does not, so the plugin refuses it up front.</summary>
internal static class ActionRules
{
    private static readonly Dictionary<string, IReadOnlyList<string>> PhasesByVerb = new(StringComparer.Ordinal)
    {
        [RolloutAction.Promote] = [Phase.Paused],
        [RolloutAction.Abort] = [Phase.Initializing, Phase.Progressing, Phase.Testing, Phase.Paused, Phase.Promoting],
        [RolloutAction.Rollback] = [Phase.Stabilizing],
    };

    /// <summary>A human phrase for when the verb applies, used in help and refusals.</summary>
    public static string WhenApplies(string verb) => verb == RolloutAction.Retry
        ? "when a release was aborted or rolled back (status.abortedRevision is set)"
        : $"only in {JoinOr(PhasesByVerb[verb])}";

    public static Applicability Check(string verb, BlueGreenDeploymentStatus? status)
    {
        if (!RolloutAction.All.Contains(verb))
        {
            throw new ArgumentException($"\"{verb}\" is not an action", nameof(verb));
        }

        var phase = status?.Phase;
        if (Applies(verb, status))
        {
            return new Applicability(true, verb == RolloutAction.Retry ? $"revision {status!.AbortedRevision} was aborted" : $"phase is {phase}");
        }

        var where = phase is null ? "it has no phase yet (the operator has not reconciled it)" : $"it is in phase {phase}";
        var instead = ApplicableVerbs(status);
        var alternative = instead.Count == 0 ? "no action applies now" : $"what applies now: {string.Join(", ", instead)}";
        return new Applicability(false, $"{where}; {verb} applies {WhenApplies(verb)}; {alternative}");
    }

    public static IReadOnlyList<string> ApplicableVerbs(BlueGreenDeploymentStatus? status) =>
        RolloutAction.All.Where(verb => Applies(verb, status)).ToList();

    private static bool Applies(string verb, BlueGreenDeploymentStatus? status) => verb == RolloutAction.Retry
        ? !string.IsNullOrEmpty(status?.AbortedRevision)
        : status?.Phase is { } phase && PhasesByVerb[verb].Contains(phase);

    private static string JoinOr(IReadOnlyList<string> items) =>
        items.Count == 1 ? items[0] : string.Join(", ", items.Take(items.Count - 1)) + " or " + items[^1];
}
