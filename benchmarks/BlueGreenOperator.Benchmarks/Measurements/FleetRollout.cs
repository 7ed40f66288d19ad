using System.Collections.Concurrent;
using System.Globalization;
using BlueGreenOperator.Api;
using BlueGreenOperator.Benchmarks.Harness;
using BlueGreenOperator.Rollout;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Benchmarks.Measurements;

/// <summary>What K objects cost the operator at rest, and how long K simultaneous rollouts took.</summary>
internal sealed record FleetSample(
    int Objects,
    double FirstReleaseSeconds,
    long ConvergedResidentBytes,
    double ConvergedWindowSeconds,
    ApiRequestCounts ConvergedWindowRequests,
    double RolloutTotalSeconds,
    IReadOnlyList<double> PerObjectSeconds,
    long PeakResidentBytesDuringRollout,
    ApiRequestCounts RolloutRequests);

/// <summary>K tiny-server objects: first released, left to converge, then all given v2 at once.</summary>
internal sealed class FleetRollout(BenchmarkWorld world)
{
    const int StabilizationSeconds = 2;
    const int ConcurrentWrites = 16;
    static readonly TimeSpan SettleBeforeMeasuring = TimeSpan.FromSeconds(10);
    static readonly TimeSpan ConvergedWindow = TimeSpan.FromSeconds(20);

    public async Task<FleetSample> RunAsync(int objects, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(120 + (3 * objects));
        var names = Enumerable.Range(0, objects).Select(i => $"fleet-{i.ToString("D3", CultureInfo.InvariantCulture)}").ToList();

        var firstStarted = RunClock.Now;
        var first = await ReleaseAllAsync(names, "v1", cancellationToken);
        await AllReachedAsync(first, "v1", timeout, cancellationToken);
        var firstReleaseSeconds = (RunClock.Now - firstStarted).TotalSeconds;
        world.Logger.LogInformation("{Count} objects Healthy on v1 after {Seconds:F1} s; letting the operator settle", objects, firstReleaseSeconds);

        await Task.Delay(SettleBeforeMeasuring, cancellationToken);
        var windowStart = await world.Operator.ApiRequestsAsync(cancellationToken);
        await Task.Delay(ConvergedWindow, cancellationToken);
        var windowRequests = (await world.Operator.ApiRequestsAsync(cancellationToken)).Since(windowStart);
        var converged = world.Operator.ResidentBytes();
        world.Logger.LogInformation(
            "Converged with {Count} objects: RSS {MiB:F1} MiB, {Writes} writes in {Seconds} s", objects, converged / 1048576.0, windowRequests.Writes, ConvergedWindow.TotalSeconds);

        var before = await world.Operator.ApiRequestsAsync(cancellationToken);
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var peak = SamplePeakResidentAsync(sampling.Token);
        var rolloutStarted = RunClock.Now;
        var second = await ReleaseAllAsync(names, "v2", cancellationToken);
        var healthy = await AllReachedAsync(second, "v2", timeout, cancellationToken);
        var perObject = second.Select(w => (healthy[w.Applied.Metadata.Name] - w.WrittenAt).TotalSeconds).ToList();
        var total = (healthy.Values.Max() - rolloutStarted).TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var rolloutRequests = (await world.Operator.ApiRequestsAsync(cancellationToken)).Since(before);
        await sampling.CancelAsync();
        world.Logger.LogInformation("{Count} simultaneous rollouts Healthy on v2 after {Seconds:F1} s", objects, total);

        return new FleetSample(objects, firstReleaseSeconds, converged, ConvergedWindow.TotalSeconds, windowRequests, total, perObject, await peak, rolloutRequests);
    }

    /// <summary>Applies <paramref name="version"/> to every object, <see cref="ConcurrentWrites"/> writes in flight at a time, as a GitOps sync of many apps would.</summary>
    async Task<IReadOnlyList<Written>> ReleaseAllAsync(IReadOnlyList<string> names, string version, CancellationToken cancellationToken)
    {
        var written = new ConcurrentBag<Written>();
        await Parallel.ForEachAsync(
            names,
            new ParallelOptions { MaxDegreeOfParallelism = ConcurrentWrites, CancellationToken = cancellationToken },
            async (name, ct) =>
            {
                var applied = await world.Space.ApplyAsync(Releases.TinyServer(name, version, StabilizationSeconds), ct);
                written.Add(new Written(applied, RunClock.Now));
            });
        return [.. written];
    }

    async Task<IReadOnlyDictionary<string, TimeSpan>> AllReachedAsync(IReadOnlyList<Written> written, string version, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var reached = await Task.WhenAll(written.Select(async w =>
            (w.Applied.Metadata.Name, (await world.ReachedAsync(w.Applied, w.WrittenAt, Phase.Healthy, version, timeout, cancellationToken)).SeenAt)));
        return reached.ToDictionary(r => r.Name, r => r.SeenAt);
    }

    async Task<long> SamplePeakResidentAsync(CancellationToken cancellationToken)
    {
        long peak = 0;
        try
        {
            while (true)
            {
                peak = Math.Max(peak, world.Operator.ResidentBytes());
                await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            return peak;
        }
    }

    sealed record Written(BlueGreenDeployment Applied, TimeSpan WrittenAt);
}
