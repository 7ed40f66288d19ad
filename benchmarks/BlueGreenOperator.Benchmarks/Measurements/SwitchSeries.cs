using BlueGreenOperator.Benchmarks.Harness;
using BlueGreenOperator.Rollout;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Benchmarks.Measurements;

/// <summary>One complete rollout of the series: what status, the Service watch and the operator's request counter said about it.</summary>
/// <param name="SwitchMilliseconds">status.lastSwitchMilliseconds: from the decision (before its status write) to the Service write accepted.</param>
/// <param name="ServiceWriteMilliseconds">The active Service's write alone, as the operator timed it.</param>
internal sealed record SwitchSample(
    string From,
    string To,
    double SwitchMilliseconds,
    double ServiceWriteMilliseconds,
    double ApplyToSelectorMilliseconds,
    double ApplyToHealthySeconds,
    ApiRequestCounts Requests,
    double CpuSeconds,
    double Reconciles);

/// <summary>
/// Rolls one model-server object v1 → v2 → v1 … and records each switch as the operator measured it
/// (status.lastSwitchMilliseconds), as a watcher saw it, and the API requests the whole rollout cost.
/// </summary>
internal sealed class SwitchSeries(BenchmarkWorld world)
{
    public const string ObjectName = "iris";
    const int StabilizationSeconds = 2;
    static readonly TimeSpan RolloutTimeout = TimeSpan.FromMinutes(3);

    // Requests that follow Healthy (the last status write's own watch event, a final no-op reconcile) belong to the rollout.
    static readonly TimeSpan SettleAfterHealthy = TimeSpan.FromSeconds(2);

    /// <param name="beforeEachRollout">Runs before rollout i (0-based), outside its measurement: the baseline's batches.</param>
    public async Task<IReadOnlyList<SwitchSample>> RunAsync(int rollouts, Func<int, CancellationToken, Task> beforeEachRollout, CancellationToken cancellationToken)
    {
        var first = await world.Space.ApplyAsync(Releases.ModelServer(ObjectName, "v1", "v1", StabilizationSeconds), cancellationToken);
        await world.ReachedAsync(first, TimeSpan.Zero, Phase.Healthy, "v1", RolloutTimeout, cancellationToken);
        await Task.Delay(SettleAfterHealthy, cancellationToken);
        world.Logger.LogInformation("First release of {Object} is Healthy; starting {Count} rollouts", ObjectName, rollouts);

        var samples = new List<SwitchSample>(rollouts);
        var serving = "v1";
        for (var i = 0; i < rollouts; i++)
        {
            var next = serving == "v1" ? "v2" : "v1";
            await beforeEachRollout(i, cancellationToken);
            var before = await OperatorReading.TakeAsync(world.Operator, cancellationToken);
            var started = RunClock.Now;
            var applied = await world.Space.ApplyAsync(Releases.ModelServer(ObjectName, next, next, StabilizationSeconds), cancellationToken);
            var healthy = await world.ReachedAsync(applied, started, Phase.Healthy, next, RolloutTimeout, cancellationToken);
            var status = healthy.Object.Status!;
            var selected = await world.SelectsAsync(ObjectName, status.ActiveColor!, started, TimeSpan.FromSeconds(5), cancellationToken);
            await Task.Delay(SettleAfterHealthy, cancellationToken);
            var spent = (await OperatorReading.TakeAsync(world.Operator, cancellationToken)).Since(before);
            var requests = spent.Requests;
            var sample = new SwitchSample(
                serving,
                next,
                status.LastSwitchMilliseconds ?? double.NaN,
                spent.ActiveServiceWriteMilliseconds,
                (selected.SeenAt - started).TotalMilliseconds,
                (healthy.SeenAt - started).TotalSeconds,
                requests,
                spent.CpuSeconds,
                spent.Reconciles);
            samples.Add(sample);
            world.Logger.LogInformation(
                "Rollout {Index}/{Count} {From}→{To}: switch {SwitchMs} ms (Service write {WriteMs:F1} ms), Healthy after {Seconds:F1} s, {Writes} writes / {Requests} requests ({Gets} GET), {Cpu:F2} CPU s",
                i + 1, rollouts, serving, next, sample.SwitchMilliseconds, sample.ServiceWriteMilliseconds, sample.ApplyToHealthySeconds, requests.Writes, requests.Total, requests.Gets, sample.CpuSeconds);
            serving = next;
        }

        return samples;
    }
}
