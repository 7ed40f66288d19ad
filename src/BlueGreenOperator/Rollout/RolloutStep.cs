using BlueGreenOperator.Api;

namespace BlueGreenOperator.Rollout;

/// <summary>The one thing a reconcile does next. Every write step is idempotent.</summary>
public abstract record RolloutStep
{
    public virtual bool IsWrite => true;
}

/// <summary>Nothing to do now: converged, or waiting for the world (a watch event or a timer brings us back).</summary>
public sealed record Wait : RolloutStep
{
    public static readonly Wait Instance = new();

    public override bool IsWrite => false;
}

/// <summary>Create or update a colour's Deployment with the spec's template at the given revision and size.</summary>
public sealed record ApplyDeployment(Color Color, string Revision, string ModelVersion, int Replicas) : RolloutStep;

/// <summary>Change only the size of a colour's Deployment.</summary>
public sealed record ScaleDeployment(Color Color, int Replicas) : RolloutStep;

public enum ServiceRole
{
    Active,
    Preview,
}

/// <summary>Create the Service, or point its selector at the colour (one merge patch).</summary>
public sealed record PointService(ServiceRole Role, Color Color) : RolloutStep;

/// <summary>Run the smoke tests against every ready pod of the colour; the result feeds a second decision.</summary>
public sealed record RunSmokeTests(Color Color, string Revision) : RolloutStep
{
    public override bool IsWrite => false;
}

/// <summary>Run the analysis checks against the active colour; the result feeds a second decision.</summary>
public sealed record RunAnalysis(Color Color, string Revision) : RolloutStep
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

/// <summary>The decision: one step, the status to persist after it, and when to come back.</summary>
public sealed record RolloutPlan(
    RolloutStep Step,
    BlueGreenDeploymentStatus Status,
    TimeSpan? RequeueAfter,
    IReadOnlyList<RolloutEvent> Events,
    bool ClearAction);
