namespace BlueGreenOperator.Rollout;

/// <summary>The phases of status.phase, as the CRD enumerates them.</summary>
public static class Phase
{
    public const string Initializing = "Initializing";
    public const string Progressing = "Progressing";
    public const string Testing = "Testing";
    public const string Paused = "Paused";
    public const string Promoting = "Promoting";
    public const string Stabilizing = "Stabilizing";
    public const string Healthy = "Healthy";
    public const string Degraded = "Degraded";
    public const string RolledBack = "RolledBack";

    public static readonly IReadOnlyList<string> All =
        [Initializing, Progressing, Testing, Paused, Promoting, Stabilizing, Healthy, Degraded, RolledBack];

    /// <summary>Phases in which a release is under way and has not switched yet.</summary>
    public static bool IsBeforeSwitch(string? phase) =>
        phase is Initializing or Progressing or Testing or Paused or Promoting;

    /// <summary>Phases that report a failure: an aborted or rolled-back release, an invalid spec, a refused write.</summary>
    public static bool IsFailed(string? phase) => phase is Degraded or RolledBack;
}

/// <summary>The imperative verbs of the <c>bluegreen.dev/action</c> annotation.</summary>
public static class RolloutAction
{
    public const string Promote = "promote";
    public const string Abort = "abort";
    public const string Rollback = "rollback";
    public const string Retry = "retry";

    public static readonly IReadOnlyList<string> All = [Promote, Abort, Rollback, Retry];
}
