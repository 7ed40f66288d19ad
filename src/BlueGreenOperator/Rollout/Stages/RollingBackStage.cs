namespace BlueGreenOperator.Rollout.Stages;

/// <summary>
/// Stage RollingBack (status.rollbackStartedAt set): the serving revision is judged bad. The standby is brought back
/// to full size and, as soon as one of its pods is available, it is decided to serve again (persisted first; then
/// convergence moves the Service). The bad revision is recorded as aborted before anything else happens.
/// </summary>
internal static class RollingBackStage
{
    /// <summary>B1: decides the rollback; it is carried out across restarts until the standby serves.</summary>
    public static RolloutStep Start(PlanContext c, string why)
    {
        var status = c.Status;
        status.AbortedRevision = status.ActiveRevision;
        status.AbortedReason = DegradedReasons.RolledBack;
        status.RollbackStartedAt = c.Now;
        status.Message = $"Rolling back revision {status.ActiveRevision}: {why}";
        c.Event(EventKind.Warning, "RollingBack", status.Message);
        return Decide(c);
    }

    public static RolloutStep Decide(PlanContext c)
    {
        var status = c.Status;
        var active = ColorNames.Parse(status.ActiveColor)!.Value;
        var standby = ColorNames.Parse(status.StandbyColor);
        ReleaseSteps.ClearPreview(c);
        status.Phase = Phase.Stabilizing;
        c.Ignore("a rollback is under way");

        var deployment = standby is { } color ? c.Deployment(color) : null;
        var usable = deployment is not null && deployment.Revision == status.StandbyRevision && deployment.TemplateIntact;
        var deadline = PlanContext.Utc(status.RollbackStartedAt ?? c.Now).AddSeconds(c.Strategy.ProgressDeadlineSeconds);
        if (standby != active.Other() || status.StandbyPodTemplateHash is null || (!usable && !c.HasTemplate(status.StandbyRevision)) || c.Now >= deadline)
        {
            // B5: nothing left to go back to (or it never became available): the judged revision keeps serving, Degraded.
            status.RollbackStartedAt = null;
            ReleaseSteps.ClearStandby(c);
            c.Event(EventKind.Warning, "RollbackImpossible", $"Cannot roll back revision {status.ActiveRevision}: no available standby is left; it keeps serving");
            return SteadyStage.Decide(c);
        }

        c.Timer(deadline);
        var target = standby!.Value;
        if (!usable || deployment!.DesiredReplicas < c.Replicas || deployment.StandbyPlacement)
        {
            // B2: the standby back to full size, and to its revision's own template (written again if it was deleted or
            // edited, or placed for a standby): the Service only ever selects pods of the tested template.
            status.Message = $"Rolling back revision {status.ActiveRevision}: bringing {target.Label()} (revision {status.StandbyRevision}) back to {c.Replicas} replicas";
            return usable && !deployment!.StandbyPlacement
                ? new ScaleDeployment(target, c.Replicas)
                : new ApplyDeployment(target, status.StandbyRevision!, status.StandbyModelVersion ?? "", c.Replicas);
        }

        var ready = c.ReadyPods(target, status.StandbyRevision!).Count(p => p.PodTemplateHash == status.StandbyPodTemplateHash);
        if (deployment!.ServingCapacity < 1 || ready < 1)
        {
            // B3: waiting for one available pod of the standby's tested template.
            status.Message = $"Rolling back revision {status.ActiveRevision}: waiting for {target.Label()} to have an available pod";
            return Wait.Instance;
        }

        // B4: the standby serves again; the rolled-back revision never serves without a spec change or retry.
        ReleaseSteps.DecideServing(c, target, status.StandbyRevision!, status.StandbyModelVersion, status.StandbyPodTemplateHash);
        ReleaseSteps.ClearStandby(c);
        status.RollbackStartedAt = null;
        status.Phase = Phase.RolledBack;
        c.DegradedReason = DegradedReasons.RolledBack;
        status.Message = $"Rolled back to revision {status.ActiveRevision} on {target.Label()}; revision {status.AbortedRevision} is aborted until the spec changes or a retry action";
        c.Event(EventKind.Warning, "RollbackDecided", status.Message);
        return Wait.Instance;
    }
}
