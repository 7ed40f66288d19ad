namespace BlueGreenOperator.Plugin.Actions;

/// <summary>
/// Whether an action verb applies to an object's status, by the operator's own <see cref="ActionTable"/>, and in
/// words for the person who asked: the operator ignores an action that does not apply, so the plugin refuses it up front.
/// </summary>
internal sealed record Applicability(bool Applies, string Reason)
{
    public static Applicability Of(string verb, BlueGreenDeploymentStatus? status)
    {
        var row = ActionTable.For(verb);
        var rule = $"{verb} applies {row.When}";
        if (ActionTable.Applies(verb, status))
        {
            return new Applicability(true, rule);
        }

        var instead = ActionTable.Applicable(status);
        var alternative = instead.Count == 0 ? "no action applies now" : $"what applies now: {string.Join(", ", instead)}";
        return new Applicability(false, $"{Situation(verb, status)}; {rule}; {alternative}");
    }

    private static string Situation(string verb, BlueGreenDeploymentStatus? status)
    {
        if (status?.Phase is not { Length: > 0 } phase)
        {
            return "it has no phase yet (the operator has not reconciled it)";
        }

        // The one rule that reads revisions, not the phase: say which revisions it saw.
        return verb == RolloutAction.Retry && status.AbortedRevision is { Length: > 0 } aborted
            ? $"it is in phase {phase} with revision {aborted} aborted and the spec at revision {status.CurrentRevision ?? "(not recorded)"}"
            : $"it is in phase {phase}";
    }
}
