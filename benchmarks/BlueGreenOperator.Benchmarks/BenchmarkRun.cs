using BlueGreenOperator.Benchmarks.Harness;
using BlueGreenOperator.Benchmarks.Measurements;
using BlueGreenOperator.Benchmarks.Reporting;
using BlueGreenOperator.LocalCluster.Testing;
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
        OperatorProgram = outputs.OperatorProgram,
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
            var launch = new OperatorLaunch(outputs.OperatorProgram, cluster.KubeconfigPath, cluster.Namespace)
            {
                Workers = settings.Workers,
                Logging = OperatorLogging.WarningsOnly,
            };
            await using var op = await OperatorProcess.StartAsync(launch, cancellationToken: cancellationToken);
            await using var rollouts = space.WatchBlueGreenDeployments();
            await using var services = space.WatchServices();
            var world = new BenchmarkWorld(space, op, rollouts, services, logger);
            logger.LogInformation("Cluster up in {Seconds} s; operator {Pid} ready, watching {Namespace}", Report.ClusterStartSeconds, op.Pid, space.Name);

            var idleStart = await ApiRequestCounts.ReadAsync(op, cancellationToken);
            await Task.Delay(IdleWindow, cancellationToken);
            var idleRequests = (await ApiRequestCounts.ReadAsync(op, cancellationToken)).Since(idleStart);
            Report.Memory = new MemoryReport(Math.Round(op.ResidentBytes() / MiB, 1), IdleWindow.TotalSeconds, idleRequests.Total) { IdleSplit = ResidentSplit.Of(op.ResidentSplit()) };
            logger.LogInformation(
                "Idle operator: RSS {MiB} MiB ({Anonymous} MiB anonymous, {File} MiB file-backed, {Shared} MiB shared)",
                Report.Memory.IdleMiB, Report.Memory.IdleSplit.AnonymousMiB, Report.Memory.IdleSplit.FileMiB, Report.Memory.IdleSplit.SharedMiB);

            if (settings.Runs("switch"))
                await MeasureSwitchesAsync(world, cancellationToken);
            if (settings.Runs("switch") && settings.Runs("rollback"))
                await MeasureRollbacksAsync(world, cancellationToken);
            await space.DeleteAsync(SwitchSeries.ObjectName, cancellationToken);
            if (settings.Runs("baseline"))
                await MeasureBaselineAsync(world, cancellationToken);
            var fleet = new FleetRollout(world);
            if (settings.Runs("fleet"))
                await MeasureFleetAsync(world, fleet, cancellationToken);
            if (settings.Runs("converged"))
                await MeasureConvergedAsync(world, fleet, settings.Converged, Releases.SlowProbePeriod, cancellationToken);
            if (settings.Runs("restart") && Report.Memory.Converged.Count > 0)
                await MeasureRestartAsync(world, launch, cancellationToken);
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

    async Task MeasureBaselineAsync(BenchmarkWorld world, CancellationToken cancellationToken)
    {
        var sample = await StageAsync($"readiness baseline: {settings.Rollouts} plain Deployments", world, () => new ReadinessBaseline(world, settings.Rollouts).RunAsync(cancellationToken), cancellationToken);
        if (sample is null)
            return;
        Report.ReadinessBaseline = new BaselineReport(sample.Deployments, Round(sample.AllRolledOutSeconds), Distribution.Of(sample.PerDeploymentSeconds), sample.NotRolledOut);
        if (sample.NotRolledOut.Count > 0)
            Report.Failures.Add(new StageFailure("readiness baseline", $"{sample.NotRolledOut.Count} Deployments did not roll out: {string.Join(", ", sample.NotRolledOut.Take(10))}"));
    }

    async Task MeasureFleetAsync(BenchmarkWorld world, FleetRollout fleet, CancellationToken cancellationToken)
    {
        var converged = await MeasureConvergedAsync(world, fleet, settings.Rollouts, Releases.TolerantProbePeriod, cancellationToken);
        if (converged is null)
            return;
        var rollouts = await StageAsync($"{settings.Rollouts} simultaneous rollouts", world, () => fleet.RolloutAllAsync(settings.Rollouts, cancellationToken), cancellationToken);
        if (rollouts is null)
            return;
        Report.Memory = Report.Memory! with { PeakDuringRolloutsMiB = Math.Round(rollouts.PeakResidentBytes / MiB, 1) };
        var baseline = Report.ReadinessBaseline;
        var perObject = Distribution.Of(rollouts.PerObjectSeconds);
        var spent = rollouts.Spent;
        Report.SimultaneousRollouts = new FleetReport(
            rollouts.Objects,
            Math.Round(converged.FirstReleaseSeconds, 1),
            Round(rollouts.AllHealthySeconds),
            perObject,
            rollouts.NotHealthy,
            SwitchReport.Ratio(rollouts.AllHealthySeconds, baseline?.AllRolledOutSeconds),
            SwitchReport.Ratio(perObject?.Median, baseline?.PerDeploymentSeconds?.Median),
            Math.Round((double)spent.Requests.Writes / rollouts.Objects, 1),
            Math.Round((double)spent.Requests.Gets / rollouts.Objects, 2),
            Math.Round((double)spent.Requests.Total / rollouts.Objects, 1),
            Math.Round(spent.CpuSeconds / rollouts.Objects, 3),
            Math.Round(spent.Reconciles / rollouts.Objects, 1),
            Math.Round(spent.Reconciles / rollouts.WallSeconds, 1),
            spent.Reconciles > 0 ? Math.Round(1000 * spent.ReconcileSeconds / spent.Reconciles, 2) : double.NaN,
            spent.Requests.ByVerb);
        if (rollouts.NotHealthy.Count > 0)
            Report.Failures.Add(new StageFailure($"{settings.Rollouts} simultaneous rollouts", $"{rollouts.NotHealthy.Count} objects did not become Healthy"));
    }

    async Task<ConvergedSample?> MeasureConvergedAsync(BenchmarkWorld world, FleetRollout fleet, int objects, int probePeriodSeconds, CancellationToken cancellationToken)
    {
        var converged = await StageAsync($"{objects} objects converged", world, () => fleet.GrowAndSettleAsync(objects, probePeriodSeconds, cancellationToken), cancellationToken);
        if (converged is null)
            return null;
        Report.Memory!.Converged.Add(new MemoryPoint(
            converged.Objects, Math.Round(converged.ResidentBytes / MiB, 1), ResidentSplit.Of(world.Operator.ResidentSplit()), converged.WindowSeconds, converged.WindowRequests.Total, converged.WindowRequests.Writes, converged.NotHealthy.Count, converged.WindowRequests.Named));
        if (converged.NotHealthy.Count > 0)
            Report.Failures.Add(new StageFailure($"release up to {objects} objects", $"{converged.NotHealthy.Count} did not become Healthy: {string.Join("; ", converged.NotHealthy.Take(10))}"));
        return converged;
    }

    async Task MeasureRestartAsync(BenchmarkWorld world, OperatorLaunch launch, CancellationToken cancellationToken)
    {
        var objects = Report.Memory!.Converged.Max(p => p.Objects);
        var restart = new RestartSaturation(world, launch);
        try
        {
            var sample = await StageAsync($"restart over {objects} converged objects", world, () => restart.RunAsync(objects, cancellationToken), cancellationToken);
            if (sample is null)
                return;
            var restartedMiB = Math.Round(sample.ResidentBytes / MiB, 1);
            Report.Memory = Report.Memory with { RestartedMiB = restartedMiB };
            Report.Saturation = sample;
        }
        finally
        {
            if (restart.Restarted is { } restarted)
                await restarted.DisposeAsync();
        }
    }

    static double? Round(double? value) => value is { } v ? Math.Round(v, 1) : null;

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
            logger.LogError(e, "{Stage} failed; operator log tail:\n{Tail}", stage, world.Operator.Tail(100));
            Report.Failures.Add(new StageFailure(stage, e.Message));
            return null;
        }
    }
}
