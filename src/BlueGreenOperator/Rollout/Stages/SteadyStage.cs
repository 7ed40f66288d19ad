namespace BlueGreenOperator.Rollout.Stages;

/// <summary>
/// Stage Steady (the spec's revision serves, no standby is kept): Healthy. The idle colour goes to 0.
/// </summary>
internal static class SteadyStage
{
    public static RolloutStep Decide(PlanContext c)
    {
        var status = c.Status;
        var active = ColorNames.Parse(status.ActiveColor)!.Value;
        ReleaseSteps.ClearPreview(c);
        status.RollbackStartedAt = null;
        if (status.AbortedRevision is { } judged && judged == status.ActiveRevision && c.Take(RolloutAction.Retry))
        {
            // Y3: retry accepts the serving revision after all.
            status.AbortedRevision = null;
            status.AbortedReason = null;
            c.Event(EventKind.Normal, "Retry", $"Revision {judged} is accepted again by the retry action");
        }

        if (status.AbortedRevision is { } aborted && aborted == status.ActiveRevision)
        {
            // Y2: analysis judged the serving revision bad but there was nothing to roll back to.
            status.Phase = Phase.Degraded;
            c.DegradedReason = DegradedReasons.RollbackImpossible;
            status.Message = $"Revision {aborted} failed its analysis but no standby was left to roll back to; it keeps serving. Change the spec or use the retry action";
        }
        else
        {
            // Y1: converged.
            status.Phase = Phase.Healthy;
            status.Message = $"Serving revision {status.ActiveRevision} (model {status.ActiveModelVersion}) from {active.Label()}";
        }

        c.Ignore(status.Phase == Phase.Healthy ? "the release is complete and no standby is kept" : "no release is in progress");
        var idle = active.Other();
        if (c.Deployment(idle) is { DesiredReplicas: > 0 })
        {
            c.Event(EventKind.Normal, "Scaled", $"Scaling the idle {idle.Label()} to 0");
            return new ScaleDeployment(idle, 0);
        }

        return Wait.Instance;
    }
}
