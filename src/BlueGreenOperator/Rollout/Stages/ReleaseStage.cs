namespace BlueGreenOperator.Rollout.Stages;

/// <summary>
/// Stage Release (the spec's revision is neither the serving one nor the aborted one): bring the other colour up at
/// the preview size, test every pod, pause for a promote or go on, scale to full size and test the added pods, then
/// decide the switch. Nothing here writes the serving colour or the active Service: convergence does, from status.
/// </summary>
internal static class ReleaseStage
{
    public static RolloutStep Decide(PlanContext c)
    {
        var status = c.Status;
        var active = ColorNames.Parse(status.ActiveColor)!.Value;
        var color = active.Other();

        // R1: the standby is the colour the new release needs: it stops being a rollback target.
        if (status.StandbyColor == color.Label())
        {
            c.Event(EventKind.Normal, "StandbyReused", $"The standby {color.Label()} is reused for revision {c.Revision}");
            ReleaseSteps.ClearStandby(c);
        }

        ReleaseSteps.Start(c, color, Phase.Progressing);
        status.Message = $"Bringing up revision {c.Revision} (model {c.Spec.Model.Version}) on {color.Label()}";

        // R2: abort before the switch.
        if (c.Take(RolloutAction.Abort))
            return ReleaseSteps.Abort(c, color, "Aborted", $"Revision {c.Revision} aborted by the abort action");

        var autoPromote = c.Strategy.AutoPromote;
        var testedAtPreviewSize = ReleaseSteps.IsTested(c, color, Math.Min(c.PreviewReplicas, c.Replicas));
        var waitsForPromote = !autoPromote && status.PromotedAt is null && testedAtPreviewSize && ParityGate.Settled(c);

        // R9: the promote action, while the release waits for it.
        if (waitsForPromote && c.Take(RolloutAction.Promote))
        {
            status.PromotedAt = c.Now;
            status.ProgressStartedAt = c.Now;
            waitsForPromote = false;
            c.Event(EventKind.Normal, "Promote", $"Revision {c.Revision} promoted by the promote action");
        }

        // Full size once promoted (by hand, or automatically once the preview passed its tests).
        var full = status.PromotedAt is not null || (autoPromote && status.TestedRevision == c.Revision);
        var size = full ? c.Replicas : c.PreviewReplicas;

        if (waitsForPromote)
        {
            // R8: Paused stops the progress clock: waiting for a person is not a lack of progress.
            var deployment = c.Deployment(color);
            if (deployment is null || !deployment.TemplateIntact || deployment.Revision != c.Revision || deployment.DesiredReplicas != size)
                return ReleaseSteps.Bring(c, color, size)!;
            status.Phase = Phase.Paused;
            status.Message = $"Revision {c.Revision} passed smoke tests on {color.Label()}; waiting for the promote action";
            return Wait.Instance;
        }

        status.Phase = full && status.TestedRevision == c.Revision ? Phase.Promoting : Phase.Progressing;

        // R3, R4: the colour at the spec's template and the size of this step; hand edits reverted (tests void).
        if (ReleaseSteps.Bring(c, color, size) is { } bring)
            return ReleaseSteps.CheckDeadline(c, color, "could not be written") ?? bring;

        // R5: wait for the pods, up to the progress deadline.
        var target = c.Deployment(color)!;
        if (!target.IsRolledOut)
            return ReleaseSteps.AwaitAvailable(c, color, target);

        // R6, R7: smoke tests on every ready pod (again after a scale-up or a revert), a failure aborts.
        if (!ReleaseSteps.IsTested(c, color, size))
        {
            if (!full)
                status.Phase = Phase.Testing;
            if (ReleaseSteps.CheckDeadline(c, color, "did not pass its smoke tests") is { } late)
                return late;
            if (ReleaseSteps.SmokeTest(c, color, size) is { } testing)
                return testing;
        }

        // P1–P6: the recorded requests replayed against the serving colour before anything else moves.
        if (ParityGate.Check(c, color, active) is { } parity)
            return parity;

        if (!full)
        {
            if (!autoPromote)
            {
                status.Phase = Phase.Paused;
                status.Message = $"Revision {c.Revision} passed smoke tests on {color.Label()}; waiting for the promote action";
                return Wait.Instance;
            }

            // R10: automatic promotion: scale to full size (then the added pods are tested).
            if (ReleaseSteps.Bring(c, color, c.Replicas) is { } scaleUp)
            {
                status.Phase = Phase.Promoting;
                return scaleUp;
            }

            if (!ReleaseSteps.IsTested(c, color, c.Replicas))
                return Wait.Instance;
        }

        return Switch(c, active, color);
    }

    /// <summary>
    /// R11: the switch, decided and persisted before the Service moves (convergence G1 moves it): the new colour
    /// serves the pods that were tested, the old colour becomes the warm standby.
    /// </summary>
    static RolloutStep Switch(PlanContext c, Color active, Color color)
    {
        var status = c.Status;
        status.StandbyColor = active.Label();
        status.StandbyRevision = status.ActiveRevision;
        status.StandbyModelVersion = status.ActiveModelVersion;
        status.StandbyPodTemplateHash = status.ActivePodTemplateHash;
        ReleaseSteps.DecideServing(c, color, c.Revision, c.Spec.Model.Version, status.TestedPodTemplateHash!);
        status.Analysis = null;
        status.Phase = Phase.Stabilizing;
        status.Message = $"Switching Service {c.Spec.Service.Name} to {color.Label()} (revision {c.Revision}); {active.Label()} stays as standby";
        ReleaseSteps.ClearPreview(c);
        return Wait.Instance;
    }
}
