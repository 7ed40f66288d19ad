using BlueGreenOperator.Api;

namespace BlueGreenOperator.Rollout.Stages;

/// <summary>
/// Rows P1–P6: once the release passed its smoke tests, spec.replay's recorded requests are replayed against the
/// colour under test and the serving colour, and the release goes on only when the parity report passes. The report
/// is recorded in status.parity; a failure aborts the release as a failed smoke test does. Rows P7–P9: with
/// spec.replay.afterSwitch the same replay is part of each analysis run during stabilization, the serving colour
/// against the warm standby.
/// </summary>
internal static class ParityGate
{
    static readonly TimeSpan NoPodsRetry = TimeSpan.FromSeconds(1);

    /// <summary>No replay is asked for, or it passed for the spec's revision on the template that was tested.</summary>
    public static bool Settled(PlanContext c) =>
        c.Spec.Replay is null
        || c.Status.Parity is { Passed: true } done && done.Revision == c.Revision && done.PodTemplateHash == c.Status.TestedPodTemplateHash;

    /// <summary>
    /// The step while parity is not settled (run the replay, wait, or abort on a failed report), or null once it
    /// passed. <paramref name="serving"/> null: nothing serves (a first release), only the expected outputs apply.
    /// </summary>
    public static RolloutStep? Check(PlanContext c, Color color, Color? serving)
    {
        // P6: no replay asked for, or it passed for this revision and tested template.
        if (Settled(c))
            return null;
        var status = c.Status;
        var hash = status.TestedPodTemplateHash;
        var servingRevision = serving is null ? null : status.ActiveRevision;
        var against = serving is { } s ? $"{s.Label()} (revision {servingRevision})" : "nothing serving: expected outputs only";
        var report = c.World.Replay;
        var current = report is not null && report.Color == color && report.Revision == c.Revision;

        // P1: replay the sample against both colours (again when the tested template changed).
        if (!current || (report!.Parity is not null && (report.PodTemplateHash != hash || report.Parity.ServingRevision != servingRevision))
            || (report.Parity is null && c.Now >= PlanContext.Utc(report.CompletedAt) + NoPodsRetry))
        {
            if (ReleaseSteps.CheckDeadline(c, color, "did not pass its replay") is { } late)
                return late;
            status.Message = $"Replaying recorded requests against {color.Label()} at revision {c.Revision} and {against}";
            return new RunReplay(color, c.Revision, serving, servingRevision, serving is null ? null : status.ActivePodTemplateHash);
        }

        // P5: no ready pod to replay against (they turned unready meanwhile): not a failure, replayed again shortly.
        if (report.Parity is not { } parity)
        {
            if (ReleaseSteps.CheckDeadline(c, color, "did not pass its replay", " (no ready pod to replay against)") is { } late)
                return late;
            status.Message = $"Revision {c.Revision}: no ready pod of {color.Label()} to replay against; replaying again shortly";
            c.Timer(PlanContext.Utc(report.CompletedAt) + NoPodsRetry);
            return Wait.Instance;
        }

        status.Parity = parity;

        // P3: a threshold missed: the release is aborted before any traffic moves.
        if (!parity.Passed)
            return ReleaseSteps.Abort(c, color, DegradedReasons.ParityFailed, $"Revision {c.Revision} failed its replay against {against}: {parity.Message}");

        // P2: recorded; the release goes on (to Paused, promotion or the switch).
        c.Event(EventKind.Normal, "ParityPassed", $"Revision {c.Revision} replayed against {against}: {parity.Message}");
        return null;
    }

    /// <summary>Row P7: spec.replay.afterSwitch asks every analysis run during stabilization for a replay against the standby.</summary>
    public static bool AfterSwitch(PlanContext c) => c.Spec.Replay is { AfterSwitch: true };

    /// <summary>
    /// Rows P7–P9, inside an analysis run that is due (<paramref name="since"/>: the last run, or the switch): the step
    /// that replays the serving colour against the warm standby, or null once the run's replay is in. Then
    /// <paramref name="replayed"/> is its report, or null when there is nothing to compare (P9: no ready standby pod of
    /// its tested template; placed, lost or not ready). <paramref name="checks"/>: the run's analysis report, which the
    /// replay follows.
    /// </summary>
    public static RunReplay? AgainstStandby(PlanContext c, Color active, Color standby, DateTime since, CheckReport? checks, out CheckReport? replayed)
    {
        replayed = null;
        var status = c.Status;
        if (!AfterSwitch(c) || status.ActiveRevision is not { } revision || status.StandbyRevision is not { } standbyRevision
            || status.StandbyPodTemplateHash is not { } standbyHash || !c.ReadyPods(standby, standbyRevision).Any(p => p.PodTemplateHash == standbyHash))
            return null;

        // A report of this run: of the serving colour, completed after the last run (the release's own replay completed
        // before the switch) and after this run's analysis checks, against the standby's revision.
        var report = c.World.Replay;
        if (report is null || report.Color != active || report.Revision != revision
            || PlanContext.Seconds(report.CompletedAt) <= since
            || (checks is not null && report.CompletedAt < checks.CompletedAt)
            || (report.Parity is { } p && (!p.AfterSwitch || p.ServingRevision != standbyRevision)))
        {
            status.Message += $"; replaying recorded requests against {active.Label()} and the standby {standby.Label()}";
            return new RunReplay(active, revision, standby, standbyRevision, standbyHash, AfterSwitch: true);
        }

        // P9: the standby had no ready pod when the replay ran (or the serving colour none): nothing was compared.
        if (report.Parity is not { } parity)
            return null;

        // P8: recorded in status.parity; the caller counts a missed threshold as a failed analysis run.
        status.Parity = parity;
        replayed = report;
        return null;
    }

    /// <summary>What a failed replay after the switch says: which colour was compared with which, and the report's message.</summary>
    public static string Failure(PlanContext c, Color active, Color standby, CheckReport replayed) =>
        $"replay of {active.Label()} (revision {c.Status.ActiveRevision}) against the standby {standby.Label()} (revision {c.Status.StandbyRevision}): {replayed.Parity?.Message}";
}
