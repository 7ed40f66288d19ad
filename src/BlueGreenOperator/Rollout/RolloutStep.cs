using BlueGreenOperator.Api;

namespace BlueGreenOperator.Rollout;

/// <summary>The one thing a reconcile does next. Every write step is idempotent.</summary>
public abstract record RolloutStep
{
    public virtual bool IsWrite => true;

    /// <summary>
    /// The step acts on a decision read from status (which colour serves, which colour may go): it must not be taken
    /// on a stale view of the object. The reconciler confirms the object first unless it wrote status just before.
    /// </summary>
    public virtual bool NeedsFreshStatus => false;
}

/// <summary>Nothing to do now: converged, or waiting for the world (a watch event or a timer brings us back).</summary>
public sealed record Wait : RolloutStep
{
    public static readonly Wait Instance = new();

    public override bool IsWrite => false;
}

/// <summary>
/// Make a colour's Deployment exactly the template of a revision at a size: created if missing, its template replaced
/// whole (hand edits reverted) and its labels restored. The template comes from the spec when the revision is the
/// spec's, otherwise from the revision's recorded template.
/// </summary>
/// <param name="Standby">With the standby's placement overrides (strategy.standby).</param>
public sealed record ApplyDeployment(Color Color, string Revision, string ModelVersion, int Replicas, bool Standby = false) : RolloutStep;

/// <summary>Change only the size of a colour's Deployment.</summary>
public sealed record ScaleDeployment(Color Color, int Replicas) : RolloutStep
{
    public override bool NeedsFreshStatus => true;
}

public enum ServiceRole
{
    Active,
    Preview,
}

/// <summary>
/// Create the Service, or make its selector and ports the desired ones (one write). The active Service selects the
/// pods of one colour made from one tested template (<paramref name="PodTemplateHash"/>); the preview Service selects a colour.
/// </summary>
public sealed record PointService(ServiceRole Role, Color Color, string? PodTemplateHash = null) : RolloutStep
{
    public override bool NeedsFreshStatus => Role == ServiceRole.Active;
}

/// <summary>Keep a colour's live template as the recorded template of its revision (one was lost or never written).</summary>
public sealed record RecordTemplate(Color Color, string Revision) : RolloutStep;

/// <summary>Delete recorded templates of revisions that no colour, release or rollback can need any more.</summary>
public sealed record PruneTemplates(IReadOnlyList<string> Revisions) : RolloutStep
{
    public override bool NeedsFreshStatus => true;

    public bool Equals(PruneTemplates? other) => other is not null && Revisions.SequenceEqual(other.Revisions);

    public override int GetHashCode() => Revisions.Aggregate(17, (hash, revision) => (hash * 31) + revision.GetHashCode(StringComparison.Ordinal));
}

/// <summary>Start the smoke tests against every ready pod of the colour; the result arrives as an observation.</summary>
public sealed record RunSmokeTests(Color Color, string Revision) : RolloutStep
{
    public override bool IsWrite => false;
}

/// <summary>
/// Start the replay of spec.replay against the ready pods of the colour under test and, when something serves, the
/// serving colour's (<paramref name="Serving"/> at <paramref name="ServingRevision"/>); the report arrives as an observation.
/// </summary>
/// <param name="AfterSwitch">An analysis run's replay (row P7): the serving colour against the warm standby, under stabilization's deadline.</param>
public sealed record RunReplay(Color Color, string Revision, Color? Serving, string? ServingRevision, string? ServingPodTemplateHash, bool AfterSwitch = false) : RolloutStep
{
    public override bool IsWrite => false;
}

/// <summary>Start the analysis checks against the active colour; the result arrives as an observation.</summary>
public sealed record RunAnalysis(Color Color, string Revision) : RolloutStep
{
    public override bool IsWrite => false;
}

/// <summary>Send the warm-up requests to the standby's ready pods (row W3); the result arrives as an observation.</summary>
public sealed record RunStandbyWarmup(Color Color, string Revision) : RolloutStep
{
    public override bool IsWrite => false;
}

public enum EventKind
{
    Normal,
    Warning,
}

/// <summary>A core/v1 Event to record about the BlueGreenDeployment.</summary>
public sealed record RolloutEvent(EventKind Kind, string Reason, string Message);

/// <summary>The decision: one step, the status to persist before it, and when to come back.</summary>
/// <param name="Stage">The stage the object was found in, for logs and tests.</param>
/// <param name="ConsumedAction">The action annotation's value, when this decision performed or refused it.</param>
public sealed record RolloutPlan(
    Stage Stage,
    RolloutStep Step,
    BlueGreenDeploymentStatus Status,
    TimeSpan? RequeueAfter,
    IReadOnlyList<RolloutEvent> Events,
    string? ConsumedAction);
