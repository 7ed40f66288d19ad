namespace BlueGreenOperator.Rollout.Stages;

/// <summary>
/// Stage Hold (the spec asks for the revision that was aborted or rolled back): it stays down. The serving colour
/// keeps serving at full size (convergence), every other colour goes to 0, and only a retry or a spec change moves on.
/// </summary>
internal static class HoldStage
{
    public static RolloutStep Decide(PlanContext c)
    {
        var status = c.Status;
        var active = ColorNames.Parse(status.ActiveColor)!.Value;

        // H2: retry: the aborted revision is released again from the start.
        if (c.Take(RolloutAction.Retry))
        {
            status.AbortedRevision = null;
            status.AbortedReason = null;
            status.Phase = Phase.Progressing;
            c.Event(EventKind.Normal, "Retry", $"Retrying revision {c.Revision}");
            return ReleaseStage.Decide(c);
        }

        // H1: held; the failed colour at 0.
        ReleaseSteps.ClearPreview(c);
        ReleaseSteps.ClearStandby(c);
        KeepFailedPhase(c);
        return ScaleDownAllBut(c, active);
    }

    /// <summary>Degraded (RolledBack after a rollback) with the reason the revision failed with; its message kept while it is the same failure.</summary>
    public static void KeepFailedPhase(PlanContext c)
    {
        var status = c.Status;
        var reason = status.AbortedReason ?? DegradedReasons.ReleaseAborted;
        status.Phase = reason == DegradedReasons.RolledBack ? Phase.RolledBack : Phase.Degraded;
        c.DegradedReason = reason;
        var held = StatusConditions.Find(c.Old.Conditions, StatusConditions.Degraded) is { Status: "True" } condition && condition.Reason == reason;
        status.Message = held && c.Old.Phase == status.Phase && c.Old.Message is { Length: > 0 } message
            ? message
            : reason switch
            {
                DegradedReasons.RolledBack => $"Rolled back to revision {status.ActiveRevision} on {status.ActiveColor}; revision {status.AbortedRevision} is aborted until the spec changes or a retry action",
                DegradedReasons.SmokeTestsFailed => $"Revision {status.AbortedRevision} failed its smoke tests; change the spec or use the retry action",
                DegradedReasons.ParityFailed => $"Revision {status.AbortedRevision} failed its replay against the serving version: {status.Parity?.Message}; change the spec or use the retry action",
                DegradedReasons.ProgressDeadlineExceeded => $"Revision {status.AbortedRevision} did not make progress within {c.Strategy.ProgressDeadlineSeconds}s; change the spec or use the retry action",
                _ => $"Revision {status.AbortedRevision} was aborted; change the spec or use the retry action",
            };
        c.Ignore($"revision {status.AbortedRevision} was aborted; only retry applies");
    }

    /// <summary>Scales every colour but the serving one to 0, one step at a time.</summary>
    public static RolloutStep ScaleDownAllBut(PlanContext c, Color? serving)
    {
        foreach (var color in new[] { Color.Blue, Color.Green })
        {
            if (color != serving && c.Deployment(color) is { DesiredReplicas: > 0 })
            {
                c.Event(EventKind.Normal, "Scaled", $"Scaling the failed {color.Label()} to 0");
                return new ScaleDeployment(color, 0);
            }
        }

        return Wait.Instance;
    }
}
