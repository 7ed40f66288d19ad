using System.Diagnostics;
using System.Net;
using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Cluster;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Runtime;
using BlueGreenOperator.Telemetry;
using k8s.Autorest;

namespace BlueGreenOperator.Reconciliation;

/// <summary>
/// One reconcile: read the world, let the planner choose one step (running checks when it asks for them),
/// perform it, persist the status when it changed, record events, consume the action annotation.
/// </summary>
internal sealed class RolloutReconciler(ClusterAccess cluster, SmokeTestRunner checks, ILogger<RolloutReconciler> logger) : IReconciler
{
    static readonly TimeSpan CheckRetry = TimeSpan.FromSeconds(2);

    public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
    {
        var resource = await cluster.GetAsync(key.Namespace, key.Name, cancellationToken);
        if (resource is null || resource.Metadata.DeletionTimestamp is not null)
            return ReconcileResult.Done; // Owned objects go with it through their ownerReferences.

        ObservedState observed;
        try
        {
            observed = await cluster.ObserveAsync(resource, cancellationToken);
        }
        catch (OwnershipConflictException conflict)
        {
            return await ReportConflictAsync(resource, conflict.Message);
        }

        var plan = RolloutPlanner.Plan(observed);
        var decidedAt = Stopwatch.GetTimestamp();
        if (plan.Step is RunSmokeTests smoke)
        {
            // Smoke tests of a real model can take a while: status says Testing while they run.
            if (!RolloutPlanner.StatusEquals(resource.Status, plan.Status))
            {
                if (await TryWriteStatusAsync(resource, plan.Status) is not { } written)
                    return ReconcileResult.RequeueAfter(TimeSpan.Zero);
                RecordPhaseChange(resource, plan.Status);
                foreach (var rolloutEvent in plan.Events)
                    await cluster.RecordEventAsync(resource, rolloutEvent);
                if (plan.ClearAction)
                {
                    await cluster.ClearActionAsync(resource);
                    written.Metadata.Annotations?.Remove(WellKnown.ActionAnnotation);
                }

                resource = written;
                observed = observed with { Resource = resource };
            }

            var report = await RunChecksAsync(resource, smoke.Color, smoke.Revision, resource.Spec.SmokeTests, analysis: false, cancellationToken);
            observed = observed with { SmokeTests = report };
            plan = RolloutPlanner.Plan(observed);
            decidedAt = Stopwatch.GetTimestamp();
        }
        else if (plan.Step is RunAnalysis analysis)
        {
            var report = await RunChecksAsync(resource, analysis.Color, analysis.Revision, resource.Spec.Analysis?.Checks ?? [], analysis: true, cancellationToken);
            observed = observed with { Analysis = report };
            plan = RolloutPlanner.Plan(observed);
            decidedAt = Stopwatch.GetTimestamp();
        }

        if (plan.Step is RunSmokeTests or RunAnalysis)
        {
            // The world moved while the checks ran (a pod went away): decide again shortly, from a fresh read.
            return ReconcileResult.RequeueAfter(CheckRetry);
        }

        var status = plan.Status;
        if (plan.Step.IsWrite)
        {
            logger.LogInformation("Step {Step}", plan.Step);
            var serviceWrite = await cluster.ExecuteAsync(resource, plan.Step, observed);
            if (plan.Step is PointService { Role: ServiceRole.Active } && serviceWrite is not null)
            {
                var decisionToWrite = Stopwatch.GetElapsedTime(decidedAt);
                status.LastSwitchMilliseconds = (long)Math.Round(decisionToWrite.TotalMilliseconds);
                RolloutMetrics.RecordSwitch(decisionToWrite, rollback: status.Phase == Phase.RolledBack);
                logger.LogInformation("Switched {Service} to {Color} in {Milliseconds} ms",
                    resource.Spec.Service.Name, status.ActiveColor, status.LastSwitchMilliseconds);
            }
        }

        if (!RolloutPlanner.StatusEquals(resource.Status, status))
        {
            if (await TryWriteStatusAsync(resource, status) is null)
                return ReconcileResult.RequeueAfter(TimeSpan.Zero);
            RecordPhaseChange(resource, status);
        }

        foreach (var rolloutEvent in plan.Events)
            await cluster.RecordEventAsync(resource, rolloutEvent);
        if (plan.ClearAction)
            await cluster.ClearActionAsync(resource);

        return plan.RequeueAfter is { } after ? ReconcileResult.RequeueAfter(after) : ReconcileResult.Done;
    }

    // Degraded with the reason, an Event, no workload write; retried in case the other owner goes away (a garbage collection in progress).
    async Task<ReconcileResult> ReportConflictAsync(BlueGreenDeployment resource, string message)
    {
        var status = RolloutPlanner.Clone(resource.Status);
        status.ObservedGeneration = resource.Metadata.Generation;
        status.Phase = Phase.Degraded;
        status.Message = message;
        var now = DateTime.UtcNow;
        var conditions = status.Conditions ??= [];
        StatusConditions.Set(conditions, StatusConditions.Degraded, true, "NameConflict", message, status.ObservedGeneration, now);
        StatusConditions.Set(conditions, StatusConditions.Progressing, false, "NameConflict", message, status.ObservedGeneration, now);
        if (!RolloutPlanner.StatusEquals(resource.Status, status))
        {
            logger.LogWarning("{Message}", message);
            if (await TryWriteStatusAsync(resource, status) is not null)
                await cluster.RecordEventAsync(resource, new RolloutEvent(EventKind.Warning, "NameConflict", message));
        }

        return ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(10));
    }

    // Null on a conflict: someone wrote the object since our read; every step is idempotent, so decide again from a fresh read.
    async Task<BlueGreenDeployment?> TryWriteStatusAsync(BlueGreenDeployment resource, BlueGreenDeploymentStatus status)
    {
        try
        {
            return await cluster.WriteStatusAsync(resource, status);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            logger.LogDebug("Status write conflicted; reconciling again");
            return null;
        }
    }

    void RecordPhaseChange(BlueGreenDeployment resource, BlueGreenDeploymentStatus status)
    {
        if (resource.Status?.Phase == status.Phase)
            return;
        logger.LogInformation("Phase {From} -> {To}: {Message}", resource.Status?.Phase ?? "(none)", status.Phase, status.Message);
        RolloutMetrics.RecordPhase(status.Phase);
    }

    async Task<CheckReport> RunChecksAsync(BlueGreenDeployment resource, Color color, string revision, IList<CheckSpec> specs, bool analysis, CancellationToken ct)
    {
        var pods = await cluster.ReadyPodsAsync(resource, color, revision, ct);
        var report = analysis
            ? await checks.RunAnalysisAsync(color, revision, pods, [.. specs], ct)
            : await checks.RunAsync(color, revision, pods, [.. specs], ct);
        logger.LogInformation("{Kind} checks on {Color} at {Revision}: {Summary}", analysis ? "Analysis" : "Smoke", color.Label(), revision, report.Summary);
        return report;
    }
}
