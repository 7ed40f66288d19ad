using BlueGreenOperator.Api;

namespace BlueGreenOperator.Rollout;

/// <summary>
/// The one definition of when each action of the <c>bluegreen.dev/action</c> annotation applies, read from status
/// alone, so that the operator, <c>kubectl bluegreen</c> and the Argo CD action scripts (tested against this table)
/// agree. The operator performs an action only when it applies to the status it read; otherwise it records an
/// <c>ActionIgnored</c> Warning Event. Either way the annotation is removed.
/// </summary>
public static class ActionTable
{
    /// <summary>One row: the verb, when it applies (a phrase for people), and the rule.</summary>
    public sealed record Row(string Verb, string When, Func<BlueGreenDeploymentStatus, bool> Applies);

    public static readonly IReadOnlyList<Row> Rows =
    [
        new(RolloutAction.Promote, "in phase Paused (a release passed its smoke tests and waits for a promote)",
            s => s.Phase == Phase.Paused),
        new(RolloutAction.Abort, "while a release has not switched yet (status.previewRevision is set)",
            s => !string.IsNullOrEmpty(s.PreviewRevision)),
        new(RolloutAction.Rollback, "while a switched release stabilizes with a warm standby (status.standbyColor is set, no release or rollback under way)",
            s => !string.IsNullOrEmpty(s.StandbyColor) && string.IsNullOrEmpty(s.PreviewRevision) && s.RollbackStartedAt is null),
        new(RolloutAction.Retry, "when the spec's revision is the one that was aborted or rolled back (status.abortedRevision equals status.currentRevision)",
            s => !string.IsNullOrEmpty(s.AbortedRevision) && s.AbortedRevision == s.CurrentRevision),
    ];

    public static Row For(string verb) =>
        Rows.FirstOrDefault(r => r.Verb == verb) ?? throw new ArgumentException($"\"{verb}\" is not an action", nameof(verb));

    public static bool Applies(string verb, BlueGreenDeploymentStatus? status) => For(verb).Applies(status ?? new BlueGreenDeploymentStatus());

    /// <summary>The verbs that apply to this status, in the table's order.</summary>
    public static IReadOnlyList<string> Applicable(BlueGreenDeploymentStatus? status) =>
        [.. Rows.Where(r => r.Applies(status ?? new BlueGreenDeploymentStatus())).Select(r => r.Verb)];
}
