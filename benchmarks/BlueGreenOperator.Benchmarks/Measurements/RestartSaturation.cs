using BlueGreenOperator.Benchmarks.Harness;
using BlueGreenOperator.LocalCluster.Testing;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Benchmarks.Measurements;

/// <summary>A fresh operator facing N converged objects: every key is queued at once, the workers saturated.</summary>
/// <param name="ReconcilesPerSecond">Reconciles counted from the last sample with none to the first with N, over that time: a lower bound of the workers' rate at saturation.</param>
internal sealed record SaturationSample(
    int Objects,
    double? FirstReconcileSeconds,
    double? AllReconciledSeconds,
    double? ReconcilesPerSecond,
    double MeanReconcileMilliseconds,
    double CpuSecondsUntilReconciled,
    ApiRequestCounts RequestsUntilReconciled,
    ApiRequestCounts WindowRequests,
    long ResidentBytes);

/// <summary>
/// Stops the operator (SIGTERM) and starts a new one over the converged objects: its informers list everything and
/// queue every key at once, so the time from its first reconcile to its N-th is the workers at saturation. A
/// converged object must cost no request (invariant I4), after a restart too.
/// </summary>
internal sealed class RestartSaturation(BenchmarkWorld world, OperatorLaunch launch)
{
    static readonly TimeSpan Sampling = TimeSpan.FromMilliseconds(100);
    static readonly TimeSpan SettleBeforeMeasuring = TimeSpan.FromSeconds(10);
    static readonly TimeSpan Window = TimeSpan.FromSeconds(20);

    /// <summary>The new operator, which the caller disposes.</summary>
    public OperatorProcess? Restarted { get; private set; }

    public async Task<SaturationSample> RunAsync(int objects, CancellationToken cancellationToken)
    {
        await world.Operator.StopAsync();
        var started = RunClock.Now;
        var op = Restarted = await OperatorProcess.StartAsync(launch, waitReady: false, cancellationToken);
        (TimeSpan At, double Count)? first = null;
        (TimeSpan At, double Count)? all = null;
        var lastIdle = started; // The last sample before the first reconcile: with few objects all of them end within one sample.
        var deadline = started + TimeSpan.FromSeconds(120 + objects);
        while (all is null && RunClock.Now < deadline)
        {
            await Task.Delay(Sampling, cancellationToken);
            double count;
            try
            {
                count = await op.MetricAsync("bluegreen_reconcile_duration_seconds_count", cancellationToken: cancellationToken);
            }
            catch (HttpRequestException)
            {
                continue; // Not listening yet.
            }

            var now = RunClock.Now;
            if (count == 0)
                lastIdle = now;
            if (count > 0 && first is null)
                first = (now, count);
            if (count >= objects)
                all = (now, count);
        }

        var cpu = op.CpuSeconds();
        var requests = await ApiRequestCounts.ReadAsync(op, cancellationToken);
        var reconcileSeconds = await op.MetricAsync("bluegreen_reconcile_duration_seconds_sum", cancellationToken: cancellationToken);
        var reconciles = await op.MetricAsync("bluegreen_reconcile_duration_seconds_count", cancellationToken: cancellationToken);
        double? rate = all is { } a ? a.Count / (a.At - lastIdle).TotalSeconds : null;
        world.Logger.LogInformation(
            "Restarted operator: first reconcile after {First:F1} s, {Objects} after {All:F1} s, {Rate:F0} reconciles/s, mean {Mean:F2} ms",
            (first?.At - started)?.TotalSeconds, objects, (all?.At - started)?.TotalSeconds, rate, reconciles > 0 ? 1000 * reconcileSeconds / reconciles : double.NaN);

        await op.WaitReadyAsync(cancellationToken);
        await Task.Delay(SettleBeforeMeasuring, cancellationToken);
        var windowStart = await ApiRequestCounts.ReadAsync(op, cancellationToken);
        await Task.Delay(Window, cancellationToken);
        var window = (await ApiRequestCounts.ReadAsync(op, cancellationToken)).Since(windowStart);
        return new SaturationSample(
            objects,
            Round((first?.At - started)?.TotalSeconds, 1),
            Round((all?.At - started)?.TotalSeconds, 1),
            Round(rate, 1),
            reconciles > 0 ? Math.Round(1000 * reconcileSeconds / reconciles, 2) : double.NaN,
            Math.Round(cpu, 2),
            requests,
            window,
            op.ResidentBytes());
    }

    static double? Round(double? value, int digits) => value is { } v ? Math.Round(v, digits) : null;
}
