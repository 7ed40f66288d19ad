using BlueGreenOperator.Benchmarks.Harness;
using BlueGreenOperator.Benchmarks.Measurements;
using BlueGreenOperator.Benchmarks.Reporting;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Benchmarks;

/// <summary>
/// One benchmark run: its own local cluster and operator, the measurements in a fixed order, results filled into
/// <see cref="Report"/> as they come so that an interrupted or partly failed run still reports what it measured.
/// </summary>
internal sealed class BenchmarkRun(RunSettings settings, BuildOutputs outputs, ILogger logger)
{
    const double MiB = 1048576.0;
    static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(10);

    public BenchmarkReport Report { get; } = new()
    {
        StartedAt = DateTime.UtcNow,
        Settings = settings,
        MachineBefore = MachineState.Now(),
    };

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var started = RunClock.Now;
        try
        {
            logger.LogInformation("Starting a local cluster ({Machine})", Report.MachineBefore.Describe());
            await using var cluster = await BenchmarkCluster.StartAsync(outputs, logger, cancellationToken);
            Report.ClusterStartSeconds = Math.Round((RunClock.Now - started).TotalSeconds, 1);
            var space = new BenchmarkNamespace(cluster.Client, cluster.Namespace, logger);
            await using var op = await OperatorUnderTest.StartAsync(outputs.OperatorDll, cluster.KubeconfigPath, cluster.Namespace, settings.Workers, cancellationToken);
            await using var rollouts = space.WatchBlueGreenDeployments();
            await using var services = space.WatchServices();
            var world = new BenchmarkWorld(space, op, rollouts, services, logger);
            logger.LogInformation("Cluster up in {Seconds} s; operator {Pid} ready, watching {Namespace}", Report.ClusterStartSeconds, op.Pid, space.Name);

            var idleStart = await op.ApiRequestsAsync(cancellationToken);
            await Task.Delay(IdleWindow, cancellationToken);
            var idleRequests = (await op.ApiRequestsAsync(cancellationToken)).Since(idleStart);
            Report.Memory = new MemoryReport(
                Math.Round(op.ResidentBytes() / MiB, 1), IdleWindow.TotalSeconds, idleRequests.Total, 0, null, null, null, null, null, null, null);
            logger.LogInformation("Idle operator: RSS {MiB} MiB", Report.Memory.IdleMiB);

            await MeasureSwitchesAsync(world, cancellationToken);
            await MeasureRollbacksAsync(world, cancellationToken);
            await space.DeleteAsync(SwitchSeries.ObjectName, cancellationToken);
            await MeasureFleetAsync(world, cancellationToken);
        }
        finally
        {
            Report.MachineAfter = MachineState.Now();
            Report.DurationSeconds = Math.Round((RunClock.Now - started).TotalSeconds, 1);
        }
    }

    async Task MeasureSwitchesAsync(BenchmarkWorld world, CancellationToken cancellationToken)
    {
        var baseline = new SelectorPatchBaseline(world.Space);
        Task BatchBefore(int rollout, CancellationToken ct) =>
            baseline.MeasureAsync((settings.Patches / settings.Switches) + (rollout < settings.Patches % settings.Switches ? 1 : 0), ct);
        var samples = await StageAsync("switch series and selector PATCH baseline", world, () => new SwitchSeries(world).RunAsync(settings.Switches, BatchBefore, cancellationToken), cancellationToken);
        Report.Switch = SwitchReport.Of(samples ?? [], baseline.Milliseconds);
        if (samples is { Count: > 0 })
            Report.ApiRequestsPerRollout = RequestsReport.Of([.. samples.Select(s => s.Requests)]);
    }

    async Task MeasureRollbacksAsync(BenchmarkWorld world, CancellationToken cancellationToken)
    {
        var series = new RollbackSeries(world);
        var manual = await StageAsync("rollback action", world, () => series.ManualAsync(settings.Rollbacks, cancellationToken), cancellationToken) ?? [];
        var automatic = await StageAsync("analysis rollback", world, () => series.AutomaticAsync(cancellationToken), cancellationToken);
        var switches = Distribution.Of(manual.Select(m => m.SwitchMilliseconds).Where(double.IsFinite));
        Report.Rollback = new RollbackReport(
            switches,
            Distribution.Of(manual.Select(m => m.ActionToSelectorMilliseconds)),
            Distribution.Of(manual.Select(m => m.ActionWriteMilliseconds)),
            SwitchReport.Ratio(switches?.Median, Report.Switch?.SelectorPatchMs?.Median),
            automatic,
            manual);
    }

    async Task MeasureFleetAsync(BenchmarkWorld world, CancellationToken cancellationToken)
    {
        var fleet = new FleetRollout(world, settings.Rollouts);
        var converged = await StageAsync($"{settings.Rollouts} objects converged", world, () => fleet.ReleaseAndSettleAsync(cancellationToken), cancellationToken);
        if (converged is null || Report.Memory is not { } idle)
            return;
        var convergedMiB = Math.Round(converged.ResidentBytes / MiB, 1);
        if (converged.NotHealthy.Count > 0)
            Report.Failures.Add(new StageFailure($"first release of {settings.Rollouts} objects", $"{converged.NotHealthy.Count} did not become Healthy: {string.Join("; ", converged.NotHealthy)}"));
        Report.Memory = idle with
        {
            Objects = converged.Objects,
            NotHealthyOnFirstRelease = converged.NotHealthy,
            ConvergedMiB = convergedMiB,
            PerObjectKiB = Math.Round((convergedMiB - idle.IdleMiB) * 1024 / converged.Objects, 1),
            ConvergedWindowSeconds = converged.WindowSeconds,
            ConvergedWindowByVerb = converged.WindowRequests.ByVerb,
            ConvergedWindowWrites = converged.WindowRequests.Writes,
        };

        var rollouts = await StageAsync($"{settings.Rollouts} simultaneous rollouts", world, () => fleet.RolloutAllAsync(cancellationToken), cancellationToken);
        if (rollouts is null)
            return;
        Report.Memory = Report.Memory with { PeakDuringRolloutsMiB = Math.Round(rollouts.PeakResidentBytes / MiB, 1) };
        Report.SimultaneousRollouts = new FleetReport(
            rollouts.Objects,
            Math.Round(converged.FirstReleaseSeconds, 1),
            rollouts.AllHealthySeconds is { } all ? Math.Round(all, 1) : null,
            Distribution.Of(rollouts.PerObjectSeconds),
            rollouts.NotHealthy,
            Math.Round((double)rollouts.Requests.Writes / rollouts.Objects, 1),
            Math.Round((double)rollouts.Requests.Total / rollouts.Objects, 1),
            rollouts.Requests.ByVerb);
        if (rollouts.NotHealthy.Count > 0)
            Report.Failures.Add(new StageFailure($"{settings.Rollouts} simultaneous rollouts", $"{rollouts.NotHealthy.Count} objects did not become Healthy"));
    }

    /// <summary>Runs one measurement; a failure is recorded with the operator's last log lines and the run goes on to the next.</summary>
    async Task<T?> StageAsync<T>(string stage, BenchmarkWorld world, Func<Task<T>> measure, CancellationToken cancellationToken)
        where T : class
    {
        logger.LogInformation("Measuring: {Stage}", stage);
        try
        {
            return await measure();
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            logger.LogError(e, "{Stage} failed; operator log tail:\n{Tail}", stage, world.Operator.Tail);
            Report.Failures.Add(new StageFailure(stage, e.Message));
            return null;
        }
    }
}
