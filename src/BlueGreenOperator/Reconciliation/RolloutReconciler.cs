using System.Collections.Concurrent;
using System.Diagnostics;
using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Notifications;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Runtime;
using BlueGreenOperator.Telemetry;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Reconciliation;

/// <summary>
/// One reconcile is one loop: observe (from the caches) → plan → persist status when the plan changed it (the
/// decision, written before it acts) → remove a consumed action → take the plan's one step → observe again and plan
/// again, a few times at most. Checks run outside the loop (<see cref="CheckCoordinator"/>) and wake the object when
/// done. A conflict means a stale view: the object is read again and decided again. A refused write is handed to
/// the planner as an observation (it reports it in status) and retried with back-off.
/// </summary>
internal sealed class RolloutReconciler(
    IClusterState cluster,
    IClusterWrites writes,
    CheckCoordinator checks,
    TimeProvider time,
    ILogger<RolloutReconciler> logger,
    INotifier? notifier = null) : IReconciler
{
    const int MaxPasses = 5;
    static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    static readonly TimeSpan MaxRetry = TimeSpan.FromMinutes(2);
    static readonly TimeSpan StatusRetry = TimeSpan.FromSeconds(5);
    static readonly TimeSpan ActionRetry = TimeSpan.FromSeconds(2);
    static readonly TimeSpan ConflictRecheck = TimeSpan.FromSeconds(10);

    readonly ConcurrentDictionary<ObjectKey, Refusal> _refusals = new();
    readonly ConcurrentDictionary<ObjectKey, string> _statusRefusals = new();
    readonly ConcurrentDictionary<ObjectKey, (NameConflictException Conflict, DateTimeOffset RecheckAt)> _conflicts = new();
    readonly ConcurrentDictionary<string, byte> _probed = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<ObjectKey, string> _uids = new();

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var resource = cluster.Resource(key);
        if (resource is null || resource.Metadata.DeletionTimestamp is not null)
        {
            // Owned objects go with it through their ownerReferences.
            _refusals.TryRemove(key, out _);
            _statusRefusals.TryRemove(key, out _);
            _conflicts.TryRemove(key, out _);
            var uid = _uids.TryRemove(key, out var known) ? known : resource?.Metadata.Uid;
            if (uid is not null)
            {
                checks.Forget(uid);
                cluster.Forget(uid);
                _probed.TryRemove(uid, out _);
            }
            return ReconcileResult.Done;
        }

        _uids[key] = resource.Metadata.Uid ?? "";
        if (_conflicts.TryGetValue(key, out var standing) && time.GetUtcNow() >= standing.RecheckAt)
        {
            // A name conflict is looked at again now and then (a read, no write): the other owner may have gone.
            if (await cluster.IsForeignAsync(resource, standing.Conflict, cancellationToken))
                _conflicts[key] = (standing.Conflict, time.GetUtcNow() + ConflictRecheck);
            else
                _conflicts.TryRemove(key, out _);
        }

        var confirmed = false;
        var actionLeft = false;
        TimeSpan? serviceWrite = null;
        for (var pass = 0; pass < MaxPasses; pass++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var decidedAt = Stopwatch.GetTimestamp();
            // Each pass is a span of the release's one trace, named after its stage once planned; checks it starts are its children.
            using var stageSpan = StartStageSpan(resource);
            var plan = RolloutPlanner.Plan(Observe(key, resource, serviceWrite));
            serviceWrite = null;
            if (stageSpan is not null)
            {
                stageSpan.DisplayName = $"stage {plan.Stage}";
                stageSpan.SetTag("bluegreen.stage", plan.Stage.ToString());
                stageSpan.SetTag("bluegreen.step", plan.Step.GetType().Name);
                stageSpan.SetTag("bluegreen.phase", plan.Status.Phase);
            }

            // Write-ahead: the decision is in status before any workload write that carries it out.
            if (!StatusCopy.Same(resource.Status, plan.Status))
            {
                var written = await WriteStatusAsync(key, resource, plan.Status, cancellationToken);
                if (written is null)
                    return ReconcileResult.RequeueAfter(_statusRefusals.ContainsKey(key) ? StatusRetry : TimeSpan.Zero);
                RecordPhaseChange(resource, plan);
                foreach (var notification in Notification.For(resource, resource.Status?.Phase, plan.Status, plan.Events, time.GetUtcNow()))
                    notifier?.Notify(notification);
                resource = written;
                confirmed = true;
            }

            foreach (var rolloutEvent in plan.Events)
                await RecordEventAsync(resource, rolloutEvent);
            if (plan.ConsumedAction is { } action && !await RemoveActionAsync(resource, action))
                actionLeft = true;

            switch (plan.Step)
            {
                case Wait:
                    return After(plan, actionLeft);
                case RunSmokeTests smoke:
                    StartChecks(key, resource, CheckKind.Smoke, smoke.Color, smoke.Revision, resource.Spec.SmokeTests, PodGates.BeforeSmokeTests(resource.Spec));
                    return After(plan, actionLeft);
                case RunAnalysis analysis:
                    StartChecks(key, resource, CheckKind.Analysis, analysis.Color, analysis.Revision, resource.Spec.Analysis?.Checks ?? [], PodGates.ForAnalysis(resource.Spec));
                    return After(plan, actionLeft);
                case RunStandbyWarmup warmup:
                    StartChecks(key, resource, CheckKind.Warmup, warmup.Color, warmup.Revision, [], PodGates.ForStandby(resource.Spec));
                    return After(plan, actionLeft);
                case RunReplay replay:
                    StartReplay(key, resource, replay);
                    return After(plan, actionLeft);
            }

            if (_refusals.TryGetValue(key, out var refusal) && refusal.Step != plan.Step)
            {
                _refusals.TryRemove(key, out _);
                refusal = null;
            }

            if (refusal is not null && time.GetUtcNow() < refusal.RetryAt)
                return ReconcileResult.RequeueAfter(Earlier(refusal.RetryAt - time.GetUtcNow(), actionLeft ? Earlier(ActionRetry, plan.RequeueAfter) : plan.RequeueAfter));

            if (plan.Stage == Stage.FirstRelease && plan.Step is ApplyDeployment && _probed.TryAdd(resource.Metadata.Uid ?? "", 0)
                && await cluster.FindForeignAsync(resource, cancellationToken) is { } foreign)
            {
                logger.LogWarning("{Conflict}", foreign.Message);
                _conflicts[key] = (foreign, time.GetUtcNow() + ConflictRecheck);
                continue;
            }

            if (plan.Step.NeedsFreshStatus && !confirmed)
            {
                // This step acts on a decision read from the cache: confirm the object first, once.
                confirmed = true;
                var fresh = await cluster.ReadFreshAsync(key, cancellationToken);
                if (fresh is null)
                    return ReconcileResult.Done;
                if (fresh.Metadata.ResourceVersion != resource.Metadata.ResourceVersion)
                {
                    resource = fresh;
                    continue;
                }
            }

            logger.LogInformation("Step {Step} in stage {Stage}", plan.Step, plan.Stage);
            var started = Stopwatch.GetTimestamp();
            try
            {
                await writes.ExecuteAsync(resource, plan.Step);
            }
            catch (WriteConflictException e)
            {
                logger.LogDebug("Step {Step} conflicted ({Reason}); deciding again from a fresh view", plan.Step, e.Message);
                await cluster.ReadFreshAsync(key, cancellationToken);
                return ReconcileResult.RequeueAfter(TimeSpan.Zero);
            }
            catch (NameConflictException e)
            {
                logger.LogWarning("{Conflict}", e.Message);
                _conflicts[key] = (e, time.GetUtcNow() + ConflictRecheck);
                continue;
            }
            catch (WriteRefusedException e)
            {
                var attempts = refusal?.Step == plan.Step ? refusal.Attempts + 1 : 1;
                var delay = TimeSpan.FromTicks(Math.Min(MaxRetry.Ticks, FirstRetry.Ticks << Math.Min(attempts - 1, 20)));
                _refusals[key] = new Refusal(plan.Step, new RefusedWrite(plan.Step, e.StatusCode, e.Reason, e.Message), attempts, time.GetUtcNow() + delay);
                if (attempts == 1)
                    logger.LogWarning("Step {Step} refused by the API server: {StatusCode} {Reason}: {Message}", plan.Step, e.StatusCode, e.Reason, e.Message);
                else
                    logger.LogInformation("Step {Step} refused again (attempt {Attempt}); next try in {Delay}", plan.Step, attempts, delay);
                continue;
            }

            _refusals.TryRemove(key, out _);
            if (plan.Step is ApplyDeployment apply)
                checks.Invalidate(resource.Metadata.Uid ?? "", apply.Color);
            if (plan.Step is PointService { Role: ServiceRole.Active })
            {
                serviceWrite = Stopwatch.GetElapsedTime(decidedAt);
                // A decided switch (not yet confirmed) is a release's switch or a rollback's; a repair of a hand edit is neither.
                if (plan.Status.LastSwitchMilliseconds is null)
                    RolloutMetrics.RecordSwitch(serviceWrite.Value, rollback: plan.Status.AbortedReason == DegradedReasons.RolledBack);
                logger.LogInformation("Active Service {Service} selects {Color} ({Milliseconds} ms from decision, {Write} ms write)",
                    resource.Spec.Service.Name, plan.Status.ActiveColor, Math.Round(serviceWrite.Value.TotalMilliseconds), Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds));
            }

            // Our own writes are in the cache already: the next pass sees their effect.
            resource = cluster.Resource(key) ?? resource;
        }

        return ReconcileResult.RequeueAfter(TimeSpan.Zero);
    }

    ObservedState Observe(ObjectKey key, BlueGreenDeployment resource, TimeSpan? serviceWrite)
    {
        var world = cluster.Observe(resource);
        var uid = resource.Metadata.Uid ?? "";
        return new ObservedState(resource, world.Blue, world.Green, world.ActiveService, world.PreviewService, time.GetUtcNow().UtcDateTime)
        {
            Pods = world.Pods,
            Templates = world.Templates,
            RememberedTemplates = world.RememberedTemplates,
            NameConflict = world.NameConflict ?? (_conflicts.TryGetValue(key, out var conflict) ? conflict.Conflict.Message : null),
            SmokeTests = checks.LastReport(uid, CheckKind.Smoke),
            Analysis = checks.LastReport(uid, CheckKind.Analysis),
            StandbyWarmup = checks.LastReport(uid, CheckKind.Warmup),
            Replay = checks.LastReport(uid, CheckKind.Replay),
            Refused = _refusals.TryGetValue(key, out var refusal) ? refusal.Write : null,
            ActiveServiceWrite = serviceWrite,
        };
    }

    void StartChecks(ObjectKey key, BlueGreenDeployment resource, CheckKind kind, Color color, string revision, IList<CheckSpec> specs, PodGates gates)
    {
        var targets = cluster.CheckTargets(resource, color, revision);
        logger.LogInformation("Starting {Kind} checks on {Color} at {Revision} against {Pods} pods", kind.Label(), color.Label(), revision, targets.Count);
        var now = time.GetUtcNow();
        var budget = CheckBudget.Remaining(resource, kind, now);
        checks.Start(key, resource.Metadata.Uid ?? "", kind, color, revision, targets, [.. specs], budget,
            JobCheck.Owner(resource, kind, color, revision, targets, now + budget), gates);
    }

    void StartReplay(ObjectKey key, BlueGreenDeployment resource, RunReplay step)
    {
        if (resource.Spec.Replay is not { } spec)
            return;
        var targets = cluster.CheckTargets(resource, step.Color, step.Revision);
        // The serving colour's pods that passed their checks (its tested template), never a hand-edited pod beside them.
        var serving = step.Serving is { } color && step.ServingRevision is { } revision
            ? [.. cluster.CheckTargets(resource, color, revision).Where(t => step.ServingPodTemplateHash is null || t.PodTemplateHash == step.ServingPodTemplateHash)]
            : (IReadOnlyList<CheckTarget>)[];
        logger.LogInformation("Starting the replay on {Color} at {Revision} ({Pods} pods) against {Serving} ({ServingPods} pods)",
            step.Color.Label(), step.Revision, targets.Count, step.ServingRevision ?? "(nothing serving)", serving.Count);
        // After the switch the replay serves an analysis run: it is cut where stabilization ends, not at the release's deadline.
        var budget = CheckBudget.Remaining(resource, step.AfterSwitch ? CheckKind.Analysis : CheckKind.Replay, time.GetUtcNow());
        checks.Start(key, resource.Metadata.Uid ?? "", CheckKind.Replay, step.Color, step.Revision, targets, [], budget,
            replay: new ReplayRequest(spec, step.ServingRevision, serving, step.Serving, step.AfterSwitch));
    }

    // An action that could not be removed is looked at again soon, so that it is neither lost nor left behind.
    static ReconcileResult After(RolloutPlan plan, bool actionLeft) =>
        actionLeft ? ReconcileResult.RequeueAfter(Earlier(ActionRetry, plan.RequeueAfter))
        : plan.RequeueAfter is { } after ? ReconcileResult.RequeueAfter(after)
        : ReconcileResult.Done;

    static TimeSpan Earlier(TimeSpan a, TimeSpan? b) => b is { } other && other < a ? other : a;

    // Null when the write failed; the caller decides again later.
    async Task<BlueGreenDeployment?> WriteStatusAsync(ObjectKey key, BlueGreenDeployment resource, BlueGreenDeploymentStatus status, CancellationToken ct)
    {
        try
        {
            var written = await writes.WriteStatusAsync(resource, status);
            _statusRefusals.TryRemove(key, out _);
            return written;
        }
        catch (WriteConflictException)
        {
            logger.LogDebug("Status write conflicted; deciding again from a fresh read");
            await cluster.ReadFreshAsync(key, ct);
            return null;
        }
        catch (WriteRefusedException e)
        {
            var message = $"{e.StatusCode} {e.Reason}: {e.Message}";
            if (!_statusRefusals.TryGetValue(key, out var last) || last != message)
            {
                _statusRefusals[key] = message;
                logger.LogWarning("Status write refused by the API server: {Refusal}", message);
                await RecordEventAsync(resource, new RolloutEvent(EventKind.Warning, "StatusWriteRefused", $"Status could not be written: {message}"));
            }

            return null;
        }
    }

    async Task<bool> RemoveActionAsync(BlueGreenDeployment resource, string action)
    {
        try
        {
            await writes.RemoveActionAsync(resource, action);
            return true;
        }
        catch (Exception e) when (e is WriteConflictException or WriteRefusedException)
        {
            // Another action was written meanwhile (the removal's test failed), or the write failed: look again soon.
            logger.LogInformation("Action '{Action}' not removed: {Reason}", action, e.Message);
            return false;
        }
    }

    async Task RecordEventAsync(BlueGreenDeployment resource, RolloutEvent rolloutEvent)
    {
        try
        {
            await writes.RecordEventAsync(resource, rolloutEvent);
        }
        catch (Exception e) when (e is not OperationCanceledException and not WriteFencedException)
        {
            // Events are for people; a lost one must not stop the rollout.
            logger.LogInformation("Event {Reason} not recorded: {Error}", rolloutEvent.Reason, e.Message);
        }
    }

    /// <summary>A span in the trace of the release the spec asks for (see <see cref="ReleaseTrace"/>), linked to the reconcile's own.</summary>
    static Activity? StartStageSpan(BlueGreenDeployment resource)
    {
        var revision = RevisionHash.Compute(resource.Spec);
        var links = Activity.Current is { } reconcile ? new[] { new ActivityLink(reconcile.Context) } : null;
        var span = OperatorTelemetry.ActivitySource.StartActivity(
            "stage", ActivityKind.Internal, ReleaseTrace.For(resource.Metadata.Uid ?? "", revision), links: links);
        span?.SetTag("k8s.namespace.name", resource.Metadata.NamespaceProperty);
        span?.SetTag("bluegreen.name", resource.Metadata.Name);
        span?.SetTag("bluegreen.revision", revision);
        span?.SetTag("bluegreen.model.version", resource.Spec.Model.Version);
        return span;
    }

    void RecordPhaseChange(BlueGreenDeployment resource, RolloutPlan plan)
    {
        if (resource.Status?.Phase == plan.Status.Phase)
            return;
        logger.LogInformation("Phase {From} -> {To}: {Message}", resource.Status?.Phase ?? "(none)", plan.Status.Phase, plan.Status.Message);
        RolloutMetrics.RecordPhase(plan.Status.Phase);
    }

    sealed record Refusal(RolloutStep Step, RefusedWrite Write, int Attempts, DateTimeOffset RetryAt);
}
