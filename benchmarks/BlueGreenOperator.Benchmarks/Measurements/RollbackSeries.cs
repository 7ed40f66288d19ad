using BlueGreenOperator.Api;
using BlueGreenOperator.Benchmarks.Harness;
using BlueGreenOperator.LocalCluster;
using BlueGreenOperator.Rollout;
using k8s;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Benchmarks.Measurements;

/// <summary>A rollback action during Stabilizing: the operator's own switch time and the wall time a watcher waited for the selector.</summary>
internal sealed record ManualRollbackSample(double SwitchMilliseconds, double ActionToSelectorMilliseconds, double ActionWriteMilliseconds);

/// <summary>An automatic rollback after failing analysis: switch time, and the time traffic spent on the bad release.</summary>
internal sealed record AutomaticRollbackSample(double SwitchMilliseconds, double BadReleaseServedSeconds, int IntervalSeconds, int FailureLimit);

/// <summary>Releases a new version of the model-server object, then takes it back: by the rollback action, and by failing analysis.</summary>
internal sealed class RollbackSeries(BenchmarkWorld world)
{
    const string ObjectName = SwitchSeries.ObjectName;
    const int LongStabilizationSeconds = 300;
    static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(3);

    public async Task<IReadOnlyList<ManualRollbackSample>> ManualAsync(int rollbacks, CancellationToken cancellationToken)
    {
        var samples = new List<ManualRollbackSample>(rollbacks);
        for (var i = 1; i <= rollbacks; i++)
        {
            var serving = await ServingAsync(cancellationToken);
            var release = $"rollback-{i}";
            var weights = i % 2 == 0 ? "v1" : "v2";
            var started = RunClock.Now;
            var applied = await world.Space.ApplyAsync(Releases.ModelServer(ObjectName, release, weights, LongStabilizationSeconds), cancellationToken);
            var stabilizing = await world.ReachedAsync(applied, started, Phase.Stabilizing, release, StepTimeout, cancellationToken);
            var standby = stabilizing.Object.Status!.StandbyColor ?? throw new InvalidOperationException("Stabilizing without a standby colour");
            await StandbyAvailableAsync(standby, cancellationToken);

            var actionAt = RunClock.Now;
            await world.Space.ActAsync(ObjectName, RolloutAction.Rollback, cancellationToken);
            var written = RunClock.Now;
            var selected = await world.SelectsAsync(ObjectName, standby, actionAt, StepTimeout, cancellationToken);
            var rolledBack = await world.ReachedAsync(applied, actionAt, Phase.RolledBack, serving, StepTimeout, cancellationToken);
            var sample = new ManualRollbackSample(
                rolledBack.Object.Status!.LastSwitchMilliseconds ?? double.NaN,
                (selected.SeenAt - actionAt).TotalMilliseconds,
                (written - actionAt).TotalMilliseconds);
            samples.Add(sample);
            world.Logger.LogInformation(
                "Rollback {Index}/{Count} of {Release}: switch {SwitchMs} ms, action → selector seen {WallMs:F1} ms",
                i, rollbacks, release, sample.SwitchMilliseconds, sample.ActionToSelectorMilliseconds);
        }

        return samples;
    }

    /// <summary>A release whose inference is slow: it passes smoke tests (no latency bound there) but misses the analysis latency bound once it serves.</summary>
    public async Task<AutomaticRollbackSample> AutomaticAsync(CancellationToken cancellationToken)
    {
        var analysis = new AnalysisSpec
        {
            IntervalSeconds = 1,
            FailureLimit = 2,
            Checks = [Releases.GoldenPrediction("latency", maxLatencyMs: 150)],
        };
        var serving = await ServingAsync(cancellationToken);
        var before = world.Rollouts.Latest(ObjectName)?.Status?.ActiveColor ?? throw new InvalidOperationException($"{ObjectName} has no active colour");
        var slow = Releases.ModelServer(ObjectName, "slow", "v2", LongStabilizationSeconds, new Dictionary<string, string> { ["ADDED_LATENCY_MS"] = "400" }, analysis);
        var started = RunClock.Now;
        var applied = await world.Space.ApplyAsync(slow, cancellationToken);
        var bad = before == "blue" ? "green" : "blue";
        var switched = await world.SelectsAsync(ObjectName, bad, started, StepTimeout, cancellationToken);
        var restored = await world.SelectsAsync(ObjectName, before, switched.SeenAt, StepTimeout, cancellationToken);
        var rolledBack = await world.ReachedAsync(applied, switched.SeenAt, Phase.RolledBack, serving, StepTimeout, cancellationToken);
        var sample = new AutomaticRollbackSample(
            rolledBack.Object.Status!.LastSwitchMilliseconds ?? double.NaN,
            (restored.SeenAt - switched.SeenAt).TotalSeconds,
            analysis.IntervalSeconds,
            analysis.FailureLimit);
        world.Logger.LogInformation(
            "Automatic rollback: switch {SwitchMs} ms; the failing release served {Seconds:F1} s", sample.SwitchMilliseconds, sample.BadReleaseServedSeconds);
        return sample;
    }

    async Task<string> ServingAsync(CancellationToken cancellationToken) =>
        (await world.Space.GetOrNullAsync(ObjectName, cancellationToken))?.Status?.ActiveModelVersion
        ?? throw new InvalidOperationException($"{ObjectName} serves nothing yet; the switch series runs first");

    // The operator repoints at once only when the standby has an available pod; the benchmark measures that path.
    Task StandbyAvailableAsync(string color, CancellationToken cancellationToken) => Eventually.UntilAsync(
        async ct => (await world.Space.Client.AppsV1.ReadNamespacedDeploymentAsync($"{ObjectName}-{color}", world.Space.Name, cancellationToken: ct))
            .Status?.AvailableReplicas >= 1,
        StepTimeout, $"the standby {color} to have an available pod", cancellationToken, TimeSpan.FromMilliseconds(200));
}
