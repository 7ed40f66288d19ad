namespace BlueGreenOperator.Rollout;

/// <summary>Every reason the operator gives the Degraded condition (docs/design.md lists what each means).</summary>
public static class DegradedReasons
{
    public const string InvalidSpec = "InvalidSpec";
    public const string NameConflict = "NameConflict";
    public const string WriteRefused = "WriteRefused";
    public const string TemplateLost = "TemplateLost";
    public const string RollbackImpossible = "RollbackImpossible";
    public const string ReleaseAborted = "ReleaseAborted";
    public const string SmokeTestsFailed = "SmokeTestsFailed";
    public const string ProgressDeadlineExceeded = "ProgressDeadlineExceeded";
    public const string Aborted = "Aborted";
    public const string RolledBack = "RolledBack";
    public const string InsufficientCapacity = "InsufficientCapacity";
    public const string ParityFailed = "ParityFailed";

    public static readonly IReadOnlyList<string> All =
    [
        InvalidSpec, NameConflict, WriteRefused, TemplateLost, RollbackImpossible,
        ReleaseAborted, SmokeTestsFailed, ProgressDeadlineExceeded, Aborted, RolledBack, InsufficientCapacity,
        ParityFailed,
    ];
}
