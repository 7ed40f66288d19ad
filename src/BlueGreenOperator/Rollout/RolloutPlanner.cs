using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout.Stages;

namespace BlueGreenOperator.Rollout;

/// <summary>The stages of docs/design.md's transition table: derived from status and the spec before anything else.</summary>
public enum Stage
{
    /// <summary>X1: the spec breaks a rule the API server cannot check; nothing is written but status.</summary>
    InvalidSpec,

    /// <summary>X2: an object with one of our names belongs to someone else; nothing is written but status.</summary>
    NameConflict,

    /// <summary>F: nothing decided serves yet (status.activeColor unset).</summary>
    FirstRelease,

    /// <summary>R: the spec's revision is neither the serving one nor the aborted one.</summary>
    Release,

    /// <summary>H: the spec's revision was aborted or rolled back.</summary>
    Hold,

    /// <summary>S: the spec's revision serves and the previous one is kept as a warm standby.</summary>
    Stabilizing,

    /// <summary>B: a rollback was decided and is carried out.</summary>
    RollingBack,

    /// <summary>Y: the spec's revision serves, no standby.</summary>
    Steady,
}

/// <summary>
/// The rollout state machine of docs/design.md as a pure function: the observed world and the recorded status in,
/// the one next step and the whole status to persist before it out. First one stage is derived from status and the
/// spec; its handler (one file each under <c>Stages/</c>) decides; then <see cref="Convergence"/> makes the world
/// follow the decisions in status. Status is the record of decisions; the reconciler persists it before the step.
/// </summary>
public static class RolloutPlanner
{
    public static RolloutPlan Plan(ObservedState world)
    {
        var c = new PlanContext(world);
        var (stage, step) = Decide(c);
        if (world.Refused is { } refused && refused.Step == step)
            ReportRefused(c, refused);
        return Finish(c, stage, step);
    }

    /// <summary>The stage a status and spec are in; the stage handlers are the only place its rules live.</summary>
    public static Stage Derive(BlueGreenDeploymentStatus status, string revision) =>
        status.ActiveColor is null ? Stage.FirstRelease
        : status.RollbackStartedAt is not null ? Stage.RollingBack
        : revision == status.ActiveRevision ? (status.StandbyColor is not null ? Stage.Stabilizing : Stage.Steady)
        : revision == status.AbortedRevision ? Stage.Hold
        : Stage.Release;

    static (Stage, RolloutStep) Decide(PlanContext c)
    {
        c.Status.ObservedGeneration = c.Resource.Metadata?.Generation;
        var errors = SpecValidator.Validate(c.Resource);
        if (errors.Count > 0)
            return (Stage.InvalidSpec, InvalidSpec(c, string.Join("; ", errors)));
        c.Revision = RevisionHash.Compute(c.Spec);
        c.Status.CurrentRevision = c.Revision;
        if (c.World.NameConflict is { } conflict)
            return (Stage.NameConflict, NameConflict(c, conflict));

        var stage = Derive(c.Status, c.Revision);
        var decided = stage switch
        {
            Stage.FirstRelease => FirstReleaseStage.Decide(c),
            Stage.RollingBack => RollingBackStage.Decide(c),
            Stage.Stabilizing => StabilizingStage.Decide(c),
            Stage.Steady => SteadyStage.Decide(c),
            Stage.Hold => HoldStage.Decide(c),
            _ => ReleaseStage.Decide(c),
        };

        // The serving side first (traffic, then capacity), then what the stage wants, then the surroundings.
        var step = Convergence.Serving(c) ?? (decided is Wait ? null : decided) ?? Convergence.Surroundings(c) ?? decided;
        return (stage, Convergence.GuardServingCapacity(c, step));
    }

    // X1: no write to any workload; status says why.
    static RolloutStep InvalidSpec(PlanContext c, string errors)
    {
        c.Status.Phase = Phase.Degraded;
        c.Status.Message = Truncate("Invalid spec: " + errors, StatusLimits.MessageLength);
        c.DegradedReason = DegradedReasons.InvalidSpec;
        if (c.Old.Message != c.Status.Message)
            c.Event(EventKind.Warning, "InvalidSpec", c.Status.Message);
        c.Ignore("the spec is invalid");
        return Wait.Instance;
    }

    // X2: we never take over an object we do not own; retried in case the other owner goes away.
    static RolloutStep NameConflict(PlanContext c, string conflict)
    {
        c.Status.Phase = Phase.Degraded;
        c.Status.Message = Truncate(conflict, StatusLimits.MessageLength);
        c.DegradedReason = DegradedReasons.NameConflict;
        if (c.Old.Message != c.Status.Message)
            c.Event(EventKind.Warning, "NameConflict", c.Status.Message);
        c.Ignore("an object with one of its names belongs to someone else");
        c.Timer(c.Now.AddSeconds(10));
        return Wait.Instance;
    }

    // X3: the step this decision wants was refused by the API server: Degraded with its reason, retried with back-off.
    static void ReportRefused(PlanContext c, RefusedWrite refused)
    {
        c.Status.Phase = Phase.Degraded;
        c.DegradedReason = DegradedReasons.WriteRefused;
        c.Status.Message = Truncate($"{Describe(refused.Step)} was refused by the API server ({refused.StatusCode} {refused.Reason}): {refused.Message}", StatusLimits.MessageLength);
        if (c.Old.Message != c.Status.Message)
            c.Event(EventKind.Warning, "WriteRefused", c.Status.Message);
    }

    static string Describe(RolloutStep step) => step switch
    {
        ApplyDeployment apply => $"Writing Deployment {apply.Color.Label()} at revision {apply.Revision}",
        ScaleDeployment scale => $"Scaling {scale.Color.Label()} to {scale.Replicas}",
        PointService point => $"Writing the {(point.Role == ServiceRole.Active ? "active" : "preview")} Service",
        RecordTemplate record => $"Recording the template of revision {record.Revision}",
        PruneTemplates => "Deleting unneeded recorded templates",
        _ => step.ToString(),
    };

    static RolloutPlan Finish(PlanContext c, Stage stage, RolloutStep step)
    {
        c.IgnoreUnhandledAction(stage);
        var status = c.Status;
        status.Message = Truncate(status.Message ?? status.Phase ?? "", StatusLimits.MessageLength);
        SetConditions(c);
        if (c.Old.Phase != status.Phase && status.Phase is { } phase)
            c.Event(Phase.IsFailed(phase) ? EventKind.Warning : EventKind.Normal, "Phase" + phase, status.Message);
        return new RolloutPlan(stage, step, status, c.RequeueAfter, c.Events, c.RawAction);
    }

    static void SetConditions(PlanContext c)
    {
        var status = c.Status;
        var conditions = status.Conditions ??= [];
        var generation = status.ObservedGeneration;
        var phase = status.Phase ?? Phase.Initializing;
        var message = status.Message ?? phase;

        var active = ColorNames.Parse(status.ActiveColor);
        // The scale subresource: what an autoscaler counts and selects is the serving colour alone (not the standby).
        status.Replicas = active is { } scaled && c.Deployment(scaled) is { } current ? current.Replicas : 0;
        status.Selector = active is { } selected
            ? string.Join(",", DesiredObjects.Selector(c.Resource, selected, status.ActivePodTemplateHash).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))
            : null;
        var serving = active is { } color && c.Deployment(color) is { } d
            && c.World.ActiveService is { } service && service.SelectedColor == color
            && c.World.ReadyPods(color).Any(p => p.PodTemplateHash == status.ActivePodTemplateHash || status.ActivePodTemplateHash is null)
            ? d
            : null;
        StatusConditions.Set(conditions, StatusConditions.Ready, serving is not null,
            serving is null ? "NotServing" : "Serving",
            serving is null ? "No available pod serves yet" : $"{serving.Color.Label()} serves with {serving.AvailableReplicas} available pods",
            generation, c.Now);

        var degraded = c.DegradedReason is not null || Phase.IsFailed(phase);
        var inProgress = !degraded && (Phase.IsBeforeSwitch(phase) || phase == Phase.Stabilizing);
        if (inProgress && c.Stalled is { } stalled)
            StatusConditions.Set(conditions, StatusConditions.Progressing, false, stalled.Reason, stalled.Message, generation, c.Now);
        else
            StatusConditions.Set(conditions, StatusConditions.Progressing, inProgress,
                inProgress ? phase : degraded ? c.DegradedReason ?? phase : "RolloutComplete",
                message, generation, c.Now);

        StatusConditions.Set(conditions, StatusConditions.Degraded, degraded,
            degraded ? c.DegradedReason ?? (phase == Phase.RolledBack ? DegradedReasons.RolledBack : DegradedReasons.ReleaseAborted) : "AsExpected",
            degraded ? message : "No failure", generation, c.Now);
    }

    internal static string Truncate(string text, int length) => text.Length <= length ? text : text[..(length - 1)] + "…";
}
