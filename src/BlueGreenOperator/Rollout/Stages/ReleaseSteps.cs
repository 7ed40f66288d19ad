using BlueGreenOperator.Api;

namespace BlueGreenOperator.Rollout.Stages;

/// <summary>
/// What the first release and later releases share: which colour tests which revision, the progress deadline,
/// bringing a colour to size from its template, smoke tests, and the abort.
/// </summary>
internal static class ReleaseSteps
{

    /// <summary>Records that <paramref name="color"/> tests the spec's current revision; a new release restarts the clock and the tests.</summary>
    public static void Start(PlanContext c, Color color, string startPhase)
    {
        var status = c.Status;
        var fresh = c.Old.PreviewRevision != c.Revision || c.Old.PreviewColor != color.Label() || c.Old.ProgressStartedAt is null;
        if (fresh)
        {
            if (c.Old.PreviewRevision is { } superseded && superseded != c.Revision)
                c.Event(EventKind.Normal, "Superseded", $"Revision {c.Revision} replaces {superseded} under test");
            status.ProgressStartedAt = c.Now;
            status.PromotedAt = null;
            ResetTests(c);
            status.SmokeTests = null;
            status.Warmup = null;
            status.Parity = null;
            status.Phase = startPhase;
        }

        status.PreviewColor = color.Label();
        status.PreviewRevision = c.Revision;
        status.PreviewModelVersion = c.Spec.Model.Version;
    }

    public static void ResetTests(PlanContext c)
    {
        c.Status.TestedRevision = null;
        c.Status.TestedPods = null;
        c.Status.TestedPodTemplateHash = null;
    }

    public static DateTime Deadline(PlanContext c) =>
        PlanContext.Utc(c.Status.ProgressStartedAt ?? c.Now).AddSeconds(c.Strategy.ProgressDeadlineSeconds);

    /// <summary>
    /// The abort step when the progress deadline passed ("Revision R on green {what} within 600s{detail}");
    /// otherwise arms the deadline's timer and returns null.
    /// </summary>
    public static RolloutStep? CheckDeadline(PlanContext c, Color color, string what, string detail = "")
    {
        var deadline = Deadline(c);
        if (c.Now >= deadline)
            return Abort(c, color, "ProgressDeadlineExceeded", $"Revision {c.Revision} on {color.Label()} {what} within {c.Strategy.ProgressDeadlineSeconds}s{detail}");
        c.Timer(deadline);
        return null;
    }

    /// <summary>
    /// Makes the colour's Deployment the spec's template at <paramref name="size"/>; a hand edit of its template or
    /// labels is reverted and makes its tests void. Returns null when it already is.
    /// </summary>
    public static RolloutStep? Bring(PlanContext c, Color color, int size)
    {
        var deployment = c.Deployment(color);
        if (deployment is not null && deployment.Revision == c.Revision && deployment.TemplateIntact && deployment.DesiredReplicas == size)
            return null;
        if (deployment is not null && deployment.Revision == c.Revision && !deployment.TemplateIntact)
        {
            c.Event(EventKind.Warning, "DeploymentReverted",
                $"Deployment {c.Resource.Metadata.Name}-{color.Label()} was edited by hand; its template and labels are re-applied from the spec and revision {c.Revision} is tested again");
            ResetTests(c);
        }

        c.Status.Message = deployment is null
            ? $"Creating {color.Label()} at revision {c.Revision} with {size} replicas"
            : $"Preparing {color.Label()} at revision {c.Revision} with {size} replicas";
        return new ApplyDeployment(color, c.Revision, c.Spec.Model.Version, size);
    }

    /// <summary>
    /// Waits for the colour's pods to be available, up to the progress deadline. Pods the scheduler cannot place are
    /// said at once (C1), and strategy.onInsufficientCapacity decides whether to wait (C2) or abort (C3).
    /// </summary>
    public static RolloutStep AwaitAvailable(PlanContext c, Color color, ObservedDeployment deployment)
    {
        var waiting = $"{deployment.AvailableReplicas}/{deployment.DesiredReplicas} available";
        var status = c.Status;
        var pending = c.World.Pods.Where(p => p.Color == color && p.Revision == c.Revision && p.Unschedulable is not null).ToList();
        if (pending.Count > 0)
        {
            var shortage = $"{pending.Count} of {deployment.DesiredReplicas} pods of {color.Label()} cannot be scheduled: {pending[0].Unschedulable}";
            if (status.InsufficientCapacitySince is null)
            {
                status.InsufficientCapacitySince = c.Now;
                c.Event(EventKind.Warning, DegradedReasons.InsufficientCapacity, $"Revision {c.Revision}: {shortage}");
            }

            var bound = c.Strategy.InsufficientCapacitySeconds is { } seconds ? PlanContext.Utc(status.InsufficientCapacitySince.Value).AddSeconds(seconds) : (DateTime?)null;
            if (c.Strategy.OnInsufficientCapacity == CapacityPolicy.Abort || (bound is { } end && c.Now >= end))
                return Abort(c, color, DegradedReasons.InsufficientCapacity, $"Revision {c.Revision} on {color.Label()}: {shortage}");
            if (bound is { } later)
                c.Timer(later);
            c.Stalled = (DegradedReasons.InsufficientCapacity, shortage);
            waiting = $"{waiting}; {shortage}";
        }
        else
        {
            status.InsufficientCapacitySince = null;
        }

        if (CheckDeadline(c, color, "was not available", $" ({waiting})") is { } abort)
            return abort;
        status.Message = $"Waiting for {color.Label()} at revision {c.Revision}: {waiting}";
        return Wait.Instance;
    }

    /// <summary>
    /// The colour's ready pods at the spec's revision passed the smoke tests and all come from the template that was
    /// tested (its pod-template-hash), with at least <paramref name="size"/> of them tested.
    /// </summary>
    public static bool IsTested(PlanContext c, Color color, int size)
    {
        var status = c.Status;
        if (status.TestedRevision != c.Revision || status.TestedPodTemplateHash is not { } hash || (status.TestedPods ?? 0) < size)
            return false;
        var ready = c.ReadyPods(color, c.Revision);
        return ready.Count > 0 && ready.All(p => p.PodTemplateHash == hash);
    }

    /// <summary>
    /// Returns the step to take while the smoke tests of the colour's current pods are not settled (run them, wait,
    /// or abort on a failure), or null once they passed on at least <paramref name="size"/> pods of one template.
    /// </summary>
    public static RolloutStep? SmokeTest(PlanContext c, Color color, int size)
    {
        var ready = c.ReadyPods(color, c.Revision);
        var hashes = ready.Select(p => p.PodTemplateHash).Distinct().ToList();
        if (c.Spec.SmokeTests is not { Count: > 0 } && !PodGates.BeforeSmokeTests(c.Spec).Any)
        {
            // Readiness is the only check: the pods must still all come from one template.
            if (ready.Count < size || hashes.Count != 1 || hashes[0] is null)
                return RetestShortly(c, color, $"{ready.Count} of {size} pods of {color.Label()} are ready");
            Record(c, ready.Count, hashes[0]!, null);
            return null;
        }

        var report = c.World.SmokeTests;
        if (report is null || report.Color != color || report.Revision != c.Revision)
        {
            c.Status.Message = $"Running smoke tests against {color.Label()} at revision {c.Revision}";
            return new RunSmokeTests(color, c.Revision);
        }

        c.Status.SmokeTests = CheckSummary.Aggregate(report.Results);
        // W2: the warm-up each pod had before its smoke tests.
        if (report.Warmups.Count > 0)
            c.Status.Warmup = WarmupSummary.From(report, PlanContext.Seconds(report.CompletedAt), 1);
        var allPassed = report.Results.All(r => r.Passed);
        // M1: a pod that serves another model or version is refused; the release is aborted as on a failed smoke test.
        if (report.Results.FirstOrDefault(r => r.Name == PodGates.IdentityCheck && !r.Passed) is { } wrong)
            return Abort(c, color, "SmokeTestsFailed", $"Revision {c.Revision} on {color.Label()}: pod {wrong.Pod} {wrong.Message}");
        if (!allPassed)
            return Abort(c, color, "SmokeTestsFailed", $"Revision {c.Revision} failed smoke tests on {color.Label()}: {report.Summary}");

        var untested = ready.Where(p => !report.Pods.Contains(p.Name) || p.PodTemplateHash != report.PodTemplateHash).ToList();
        if (report.PodTemplateHash is null || untested.Count > 0)
        {
            c.Status.Message = $"Running smoke tests against {color.Label()} at revision {c.Revision}: {untested.Count} pods not tested yet";
            return new RunSmokeTests(color, c.Revision);
        }

        // A pod stopped being Ready between the Deployment's status and the test: that is not a failed test.
        if (report.PodsTested < size || ready.Count < size)
            return RetestShortly(c, color, $"only {Math.Min(report.PodsTested, ready.Count)} of {size} pods of {color.Label()} were ready for smoke tests");

        Record(c, report.PodsTested, report.PodTemplateHash, report.Summary);
        return null;
    }

    static RolloutStep RetestShortly(PlanContext c, Color color, string why)
    {
        if (CheckDeadline(c, color, "was not ready for smoke tests", $" ({why})") is { } abort)
            return abort;
        c.Status.Message = $"Revision {c.Revision}: {why}; testing again shortly";
        c.Timer(c.Now.AddSeconds(1));
        return Wait.Instance;
    }

    static void Record(PlanContext c, int pods, string podTemplateHash, string? summary)
    {
        var status = c.Status;
        var news = status.TestedRevision != c.Revision || status.TestedPodTemplateHash != podTemplateHash || status.TestedPods != pods;
        status.TestedRevision = c.Revision;
        status.TestedPods = pods;
        status.TestedPodTemplateHash = podTemplateHash;
        if (news)
            c.Event(EventKind.Normal, "SmokeTestsPassed", $"Revision {c.Revision}: {summary ?? $"{pods} pods ready"}");
    }

    /// <summary>
    /// Decides that the revision under test failed: recorded in status first (the reconciler persists it before any
    /// workload write), then the failed colour is scaled to 0. It never serves again without a spec change or retry.
    /// </summary>
    public static RolloutStep Abort(PlanContext c, Color color, string reason, string message)
    {
        var status = c.Status;
        status.AbortedRevision = c.Revision;
        status.AbortedReason = reason;
        status.Phase = Phase.Degraded;
        status.Message = message;
        c.DegradedReason = reason;
        ClearPreview(c);
        c.Event(EventKind.Warning, reason, message);
        return c.Deployment(color) is { DesiredReplicas: > 0 } ? new ScaleDeployment(color, 0) : Wait.Instance;
    }

    public static void ClearPreview(PlanContext c)
    {
        var status = c.Status;
        status.PreviewColor = null;
        status.PreviewRevision = null;
        status.PreviewModelVersion = null;
        status.ProgressStartedAt = null;
        status.PromotedAt = null;
        status.InsufficientCapacitySince = null;
        ResetTests(c);
    }

    public static void ClearStandby(PlanContext c)
    {
        var status = c.Status;
        status.StandbyColor = null;
        status.StandbyRevision = null;
        status.StandbyModelVersion = null;
        status.StandbyPodTemplateHash = null;
        status.Analysis = null;
        status.StandbyWarmup = null;
    }

    /// <summary>Records that <paramref name="color"/> serves the tested revision from now on; convergence moves the Service.</summary>
    public static void DecideServing(PlanContext c, Color color, string revision, string? modelVersion, string podTemplateHash)
    {
        var status = c.Status;
        status.ActiveColor = color.Label();
        status.ActiveRevision = revision;
        status.ActiveModelVersion = modelVersion;
        status.ActivePodTemplateHash = podTemplateHash;
        status.SwitchedAt = c.Now;
        status.LastSwitchMilliseconds = null;
    }
}
