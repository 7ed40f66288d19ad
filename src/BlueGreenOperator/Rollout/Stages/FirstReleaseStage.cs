namespace BlueGreenOperator.Rollout.Stages;

/// <summary>
/// Stage FirstRelease (status.activeColor unset): nothing the operator decided serves yet. Bring one colour up at
/// full size, test every pod, then decide that it serves; convergence creates the active Service in front of it.
/// </summary>
internal static class FirstReleaseStage
{
    public static RolloutStep Decide(PlanContext c)
    {
        var status = c.Status;
        var color = FirstColor(c);
        if (status.AbortedRevision == c.Revision)
        {
            // F8, F9: the first release failed; it stays down until the spec changes or a retry.
            if (!c.Take(RolloutAction.Retry))
            {
                HoldStage.KeepFailedPhase(c);
                return HoldStage.ScaleDownAllBut(c, serving: null);
            }

            status.AbortedRevision = null;
            status.AbortedReason = null;
            c.Event(EventKind.Normal, "Retry", $"Retrying revision {c.Revision}");
        }

        ReleaseSteps.Start(c, color, Phase.Initializing);
        status.Phase = Phase.Initializing;
        status.Message = $"Bringing up revision {c.Revision} (model {c.Spec.Model.Version}) on {color.Label()}";

        // F2: abort the first release.
        if (c.Take(RolloutAction.Abort))
            return ReleaseSteps.Abort(c, color, "Aborted", $"Revision {c.Revision} aborted by the abort action");

        // F1, F3: create the colour (or revert a hand edit) at full size.
        if (ReleaseSteps.Bring(c, color, c.Replicas) is { } bring)
            return ReleaseSteps.CheckDeadline(c, color, "could not be written") ?? bring;

        // F4, F5: wait for availability up to the progress deadline.
        var deployment = c.Deployment(color)!;
        if (!deployment.IsRolledOut)
            return ReleaseSteps.AwaitAvailable(c, color, deployment);

        // F6, F7: smoke tests on every pod; a failure aborts.
        if (!ReleaseSteps.IsTested(c, color, c.Replicas))
        {
            if (ReleaseSteps.CheckDeadline(c, color, "did not pass its smoke tests") is { } late)
                return late;
            if (ReleaseSteps.SmokeTest(c, color, c.Replicas) is { } testing)
                return testing;
        }

        // P4: a replay with nothing serving to compare with: only the expected outputs and the error rate apply.
        if (ParityGate.Check(c, color, serving: null) is { } replay)
            return replay;

        // F10: it serves. The decision is persisted before the Service is created (convergence G1).
        ReleaseSteps.DecideServing(c, color, c.Revision, c.Spec.Model.Version, status.TestedPodTemplateHash!);
        ReleaseSteps.ClearPreview(c);
        status.Phase = Phase.Healthy;
        status.Message = $"Serving revision {c.Revision} (model {c.Spec.Model.Version}) from {color.Label()}";
        return Wait.Instance;
    }

    /// <summary>The colour of the first release: the one already chosen, else not the one an existing Service selects.</summary>
    static Color FirstColor(PlanContext c) =>
        ColorNames.Parse(c.Status.PreviewColor)
        ?? (c.World.ActiveService?.SelectedColor is { } selected ? selected.Other() : Color.Blue);
}
