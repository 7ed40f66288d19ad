using System.Collections.Concurrent;
using System.Globalization;
using BlueGreenOperator.Api;
using BlueGreenOperator.Benchmarks.Harness;
using BlueGreenOperator.Rollout;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Benchmarks.Measurements;

/// <summary>K objects released and left alone: what they cost the operator at rest.</summary>
internal sealed record ConvergedSample(int Objects, double FirstReleaseSeconds, IReadOnlyList<string> NotHealthy, long ResidentBytes, double WindowSeconds, ApiRequestCounts WindowRequests);

/// <summary>K simultaneous rollouts: how long until every one ended, and how each ended.</summary>
internal sealed record SimultaneousSample(
    int Objects,
    double? AllHealthySeconds,
    IReadOnlyList<double> PerObjectSeconds,
    IReadOnlyList<string> NotHealthy,
    long PeakResidentBytes,
    ApiRequestCounts Requests);

/// <summary>K tiny-server objects: first released, left to converge, then all given v2 at once.</summary>
internal sealed class FleetRollout(BenchmarkWorld world, int objects)
{
    const int StabilizationSeconds = 2;
    const int ConcurrentWrites = 16;
    static readonly TimeSpan SettleBeforeMeasuring = TimeSpan.FromSeconds(10);
    static readonly TimeSpan ConvergedWindow = TimeSpan.FromSeconds(20);

    readonly List<string> names = [.. Enumerable.Range(0, objects).Select(i => $"fleet-{i.ToString("D3", CultureInfo.InvariantCulture)}")];

    TimeSpan Timeout => TimeSpan.FromSeconds(120 + (3 * objects));

    public async Task<ConvergedSample> ReleaseAndSettleAsync(CancellationToken cancellationToken)
    {
        var started = RunClock.Now;
        var first = await ReleaseAllAsync("v1", cancellationToken);
        var ended = await AllEndedAsync(first, "v1", cancellationToken);
        var releaseSeconds = (RunClock.Now - started).TotalSeconds;
        var notHealthy = NotHealthy(ended);
        world.Logger.LogInformation(
            "{Healthy} of {Count} objects Healthy on v1 after {Seconds:F1} s; letting the operator settle", objects - notHealthy.Count, objects, releaseSeconds);
        if (notHealthy.Count > 0)
            world.Logger.LogWarning("Not Healthy on v1: {Objects}", string.Join("; ", notHealthy.Take(10)));

        await Task.Delay(SettleBeforeMeasuring, cancellationToken);
        var windowStart = await world.Operator.ApiRequestsAsync(cancellationToken);
        await Task.Delay(ConvergedWindow, cancellationToken);
        var window = (await world.Operator.ApiRequestsAsync(cancellationToken)).Since(windowStart);
        var resident = world.Operator.ResidentBytes();
        world.Logger.LogInformation(
            "Converged with {Count} objects: RSS {MiB:F1} MiB, {Writes} writes in {Seconds} s", objects, resident / 1048576.0, window.Writes, ConvergedWindow.TotalSeconds);
        return new ConvergedSample(objects, releaseSeconds, notHealthy, resident, ConvergedWindow.TotalSeconds, window);
    }

    public async Task<SimultaneousSample> RolloutAllAsync(CancellationToken cancellationToken)
    {
        var before = await world.Operator.ApiRequestsAsync(cancellationToken);
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var peak = SamplePeakResidentAsync(sampling.Token);
        var started = RunClock.Now;
        var written = await ReleaseAllAsync("v2", cancellationToken);
        var ended = await AllEndedAsync(written, "v2", cancellationToken);
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        var requests = (await world.Operator.ApiRequestsAsync(cancellationToken)).Since(before);
        await sampling.CancelAsync();

        var healthy = written.Where(w => ended[w.Name].Healthy).ToList();
        var perObject = healthy.Select(w => (ended[w.Name].SeenAt - w.WrittenAt).TotalSeconds).ToList();
        double? allHealthy = healthy.Count == objects ? (ended.Values.Max(e => e.SeenAt) - started).TotalSeconds : null;
        var notHealthy = NotHealthy(ended);
        world.Logger.LogInformation(
            "{Healthy} of {Count} simultaneous rollouts Healthy on v2; all ended after {Seconds:F1} s", healthy.Count, objects, (ended.Values.Max(e => e.SeenAt) - started).TotalSeconds);
        if (notHealthy.Count > 0)
            world.Logger.LogWarning("Not Healthy: {Objects}", string.Join("; ", notHealthy.Take(10)));
        return new SimultaneousSample(objects, allHealthy, perObject, notHealthy, await peak, requests);
    }

    /// <summary>Applies <paramref name="version"/> to every object, <see cref="ConcurrentWrites"/> writes in flight at a time, as a GitOps sync of many apps would.</summary>
    async Task<IReadOnlyList<Written>> ReleaseAllAsync(string version, CancellationToken cancellationToken)
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

    /// <summary>Waits until every object either serves <paramref name="version"/> Healthy or gave its release up (Degraded, RolledBack).</summary>
    async Task<IReadOnlyDictionary<string, Ended>> AllEndedAsync(IReadOnlyList<Written> written, string version, CancellationToken cancellationToken)
    {
        var ended = await Task.WhenAll(written.Select(async w =>
        {
            var generation = w.Applied.Metadata.Generation ?? 0;
            var seen = await world.Rollouts.FirstAsync(
                w.Name,
                w.WrittenAt,
                item => BenchmarkNamespace.Reached(item, generation, Phase.Healthy, version) || GaveUp(item, generation),
                Timeout,
                $"Healthy on {version}, or Degraded",
                cancellationToken);
            var status = seen.Object.Status!;
            var healthy = status.Phase == Phase.Healthy;
            return (w.Name, new Ended(healthy, seen.SeenAt, healthy ? Phase.Healthy : $"{status.Phase}: {status.Message}"));
        }));
        return ended.ToDictionary(e => e.Name, e => e.Item2);
    }

    static bool GaveUp(BlueGreenDeployment item, long generation) =>
        item.Metadata.Generation >= generation
        && item.Status is { } status
        && status.ObservedGeneration == item.Metadata.Generation
        && status.Phase is Phase.Degraded or Phase.RolledBack;

    static List<string> NotHealthy(IReadOnlyDictionary<string, Ended> ended) =>
        ended.Where(e => !e.Value.Healthy).Select(e => $"{e.Key}: {e.Value.Outcome}").Order(StringComparer.Ordinal).ToList();

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

    sealed record Written(BlueGreenDeployment Applied, TimeSpan WrittenAt)
    {
        public string Name => Applied.Metadata.Name;
    }

    sealed record Ended(bool Healthy, TimeSpan SeenAt, string Outcome);
}
