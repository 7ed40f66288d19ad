namespace BlueGreenOperator.Rollout.Stages;

/// <summary>
/// Stage Stabilizing (the spec's revision serves and a warm standby is kept): analysis at its interval, the standby
/// shrunk after the scale-down delay, a rollback on the action or on repeated analysis failures, and at the end of the
/// stabilization period the standby is released (then stage Steady tears it down).
/// </summary>
internal static class StabilizingStage
{
    public static RolloutStep Decide(PlanContext c)
    {
        var status = c.Status;
        var active = ColorNames.Parse(status.ActiveColor)!.Value;
        var standby = ColorNames.Parse(status.StandbyColor);
        ReleaseSteps.ClearPreview(c);
        var switchedAt = PlanContext.Utc(status.SwitchedAt ?? c.Now);

        if (standby != active.Other())
        {
            // A standby on the serving colour cannot be: forget it.
            ReleaseSteps.ClearStandby(c);
            return SteadyStage.Decide(c);
        }

        // S1: the rollback action.
        if (c.Take(RolloutAction.Rollback))
            return RollingBackStage.Start(c, "Rollback requested by the rollback action");

        var end = switchedAt.AddSeconds(c.Strategy.StabilizationSeconds);
        var scaleDownAt = switchedAt.AddSeconds(c.Strategy.ScaleDownDelaySeconds);
        status.Phase = Phase.Stabilizing;
        status.Message = $"Stabilizing revision {status.ActiveRevision} on {active.Label()} until {end:O}; {standby.Value.Label()} is the warm standby";

        // S2, S3: analysis at its interval against the serving pods; a run of failures rolls back.
        var analysis = c.Spec.Analysis ?? new Api.AnalysisSpec();
        // M2: an analysis run asks every serving pod which model it serves, also when it has no checks of its own.
        var checks = c.Spec.Analysis is not null && (analysis.Checks is { Count: > 0 } || PodGates.ForAnalysis(c.Spec).Any);
        // P7: with spec.replay.afterSwitch an analysis run replays the serving colour against the standby too.
        if ((checks || ParityGate.AfterSwitch(c)) && c.Now < end)
        {
            status.Analysis ??= new Api.AnalysisStatus();
            var since = PlanContext.Utc(status.Analysis.LastRunAt ?? switchedAt);
            var due = since.AddSeconds(analysis.IntervalSeconds);
            if (c.Now >= due)
            {
                var report = checks ? c.World.Analysis : null;
                if (checks && (report is null || report.Color != active || report.Revision != status.ActiveRevision
                    || (status.Analysis.LastRunAt is not null && PlanContext.Seconds(report.CompletedAt) <= since)))
                {
                    return new RunAnalysis(active, status.ActiveRevision!);
                }

                if (ParityGate.AgainstStandby(c, active, standby.Value, since, report, out var replayed) is { } replay)
                    return replay;

                if (report is not null || replayed is not null)
                {
                    Record(c, active, standby.Value, report, replayed);
                    if (status.Analysis.ConsecutiveFailures >= analysis.FailureLimit)
                        return RollingBackStage.Start(c, $"Analysis failed {status.Analysis.ConsecutiveFailures} times in a row: {Summary(c, active, standby.Value, report, replayed)}");
                }
                else
                {
                    // P9: a replay alone with no standby to compare with: nothing counted, asked again at the next interval.
                    status.Analysis.LastRunAt = c.Now;
                }

                due = c.Now.AddSeconds(analysis.IntervalSeconds);
            }

            c.Timer(due);
        }

        // S4: the standby was deleted or edited by hand: written again from its revision's template.
        var deployment = c.Deployment(standby.Value);
        if (deployment is null || deployment.Revision != status.StandbyRevision || !deployment.TemplateIntact)
        {
            if (!c.HasTemplate(status.StandbyRevision))
            {
                // S5: nothing to rebuild it from: there is no standby any more.
                c.Event(EventKind.Warning, "StandbyLost", $"The standby {standby.Value.Label()} (revision {status.StandbyRevision}) is gone and its template is not kept; no rollback is possible");
                ReleaseSteps.ClearStandby(c);
                return SteadyStage.Decide(c);
            }

            c.Event(EventKind.Warning, "StandbyRestored",
                $"The standby Deployment {c.Resource.Metadata.Name}-{standby.Value.Label()} was {(deployment is null ? "deleted" : "edited by hand")}; written again from revision {status.StandbyRevision}");
            var warm = c.Now >= scaleDownAt;
            return new ApplyDeployment(standby.Value, status.StandbyRevision!, status.StandbyModelVersion ?? "",
                warm ? c.Strategy.StandbyReplicas : c.Replicas, Standby: warm && c.Strategy.Standby is not null);
        }

        // S6: the end of stabilization: the standby is released; stage Steady scales it to 0. Not while the serving
        // colour has no ready pod of its template (deleted or emptied meanwhile): the standby stays until it does.
        if (c.Now >= end && !Convergence.ServesAny(c, active, status.ActivePodTemplateHash))
        {
            status.Message = $"Revision {status.ActiveRevision} is past its stabilization period, but {active.Label()} has no ready pod; {standby.Value.Label()} stays the warm standby until it has";
            return Wait.Instance;
        }

        if (c.Now >= end)
        {
            c.Event(EventKind.Normal, "Stabilized", $"Revision {status.ActiveRevision} stabilized on {active.Label()}; {standby.Value.Label()} torn down");
            ReleaseSteps.ClearStandby(c);
            return SteadyStage.Decide(c);
        }

        c.Timer(end);
        if (c.Now < scaleDownAt)
        {
            c.Timer(scaleDownAt);
            return KeepWarm(c, standby.Value);
        }

        // S8: after the scale-down delay the standby moves to its cheaper placement (strategy.standby), at its warm size.
        if (c.Strategy.Standby is not null && !deployment.StandbyPlacement)
        {
            c.Event(EventKind.Normal, "StandbyPlaced", $"The standby {standby.Value.Label()} moves to its standby placement with {c.Strategy.StandbyReplicas} replicas");
            return new ApplyDeployment(standby.Value, status.StandbyRevision!, status.StandbyModelVersion ?? "", c.Strategy.StandbyReplicas, Standby: true);
        }

        // S7: after the scale-down delay the standby shrinks to its warm size.
        if (deployment.DesiredReplicas > c.Strategy.StandbyReplicas)
        {
            c.Event(EventKind.Normal, "Scaled", $"Scaling {standby.Value.Label()} to the warm standby size {c.Strategy.StandbyReplicas}");
            return new ScaleDeployment(standby.Value, c.Strategy.StandbyReplicas);
        }

        return KeepWarm(c, standby.Value);
    }

    /// <summary>
    /// W3, W4: the standby's ready pods get the warm-up requests every <c>standbyIntervalSeconds</c> from the switch,
    /// so that a rollback lands on pods that answer at full speed. A warm-up judges nothing; its report is recorded.
    /// </summary>
    static RolloutStep KeepWarm(PlanContext c, Color standby)
    {
        var status = c.Status;
        if (PodGates.WarmupOf(c.Spec) is not { StandbyIntervalSeconds: > 0 } warmup || status.StandbyRevision is not { } revision)
            return Wait.Instance;
        var last = status.StandbyWarmup?.Color == standby.Label() && status.StandbyWarmup.Revision == revision ? status.StandbyWarmup : null;
        var due = PlanContext.Utc(last?.LastRunAt ?? status.SwitchedAt ?? c.Now).AddSeconds(warmup.StandbyIntervalSeconds);
        if (c.Now < due || c.ReadyPods(standby, revision).Count == 0)
        {
            c.Timer(c.Now < due ? due : c.Now.AddSeconds(warmup.StandbyIntervalSeconds));
            return Wait.Instance;
        }

        var report = c.World.StandbyWarmup;
        if (report is null || report.Color != standby || report.Revision != revision
            || (last?.LastRunAt is { } at && PlanContext.Seconds(report.CompletedAt) <= PlanContext.Utc(at)))
            return new RunStandbyWarmup(standby, revision);

        status.StandbyWarmup = WarmupSummary.From(report, c.Now, (last?.Runs ?? 0) + 1);
        c.Timer(c.Now.AddSeconds(warmup.StandbyIntervalSeconds));
        return Wait.Instance;
    }

    /// <summary>S3, P8: one analysis run, its checks' report and its replay's, counted once: it failed when either did.</summary>
    static void Record(PlanContext c, Color active, Color standby, CheckReport? checks, CheckReport? replayed)
    {
        var analysis = c.Status.Analysis!;
        analysis.LastRunAt = c.Now;
        analysis.Runs++;
        // The replay's entry first: status keeps a bounded number of entries.
        analysis.Results = CheckSummary.Aggregate([.. replayed?.Results ?? [], .. checks?.Results ?? []]);
        var passed = checks?.Passed != false && replayed?.Passed != false;
        analysis.ConsecutiveFailures = passed ? 0 : analysis.ConsecutiveFailures + 1;
        if (!passed)
            c.Event(EventKind.Warning, "AnalysisFailed", Summary(c, active, standby, checks, replayed));
    }

    static string Summary(PlanContext c, Color active, Color standby, CheckReport? checks, CheckReport? replayed) =>
        string.Join("; ", new[]
        {
            checks is { Passed: false } ? checks.Summary : null,
            replayed is { Passed: false } ? ParityGate.Failure(c, active, standby, replayed) : null,
        }.Where(part => part is not null).DefaultIfEmpty(checks?.Summary ?? "the replay passed"));
}
