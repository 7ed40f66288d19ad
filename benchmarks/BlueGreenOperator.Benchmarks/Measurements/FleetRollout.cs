using System.Collections.Concurrent;
using System.Globalization;
using BlueGreenOperator.Api;
using BlueGreenOperator.Benchmarks.Harness;
using BlueGreenOperator.Rollout;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Benchmarks.Measurements;

/// <summary>Objects released and left alone: what they cost the operator at rest.</summary>
internal sealed record ConvergedSample(int Objects, double FirstReleaseSeconds, IReadOnlyList<string> NotHealthy, long ResidentBytes, double WindowSeconds, ApiRequestCounts WindowRequests);

/// <summary>K simultaneous rollouts: how long until every one ended, how each ended, and what the operator spent.</summary>
internal sealed record SimultaneousSample(
    int Objects,
    double? AllHealthySeconds,
    IReadOnlyList<double> PerObjectSeconds,
    IReadOnlyList<string> NotHealthy,
    long PeakResidentBytes,
    OperatorReading Spent,
    double WallSeconds);

/// <summary>
/// Tiny-server objects: released and left to converge (first K, later grown to N), and K of them given v2 at once.
/// Stabilization is 0 for the rollouts, so that Healthy means what a plain Deployment's rollout means: the new pod
/// serves and the old pod is gone (<see cref="ReadinessBaseline"/>).
/// </summary>
internal sealed class FleetRollout(BenchmarkWorld world)
{
    public const int ConcurrentWrites = 16;

    // Hundreds of first releases at once would have the local kubelet start their pods for longer than a release's
    // progress deadline (300 s) on two busy cores: the operator is not what such a run measures.
    const int GrowthBatch = 100;
    const int StabilizationSeconds = 0;
    static readonly TimeSpan SettleBeforeMeasuring = TimeSpan.FromSeconds(10);
    static readonly TimeSpan ConvergedWindow = TimeSpan.FromSeconds(20);

    int released;

    static string Name(int index) => $"fleet-{index.ToString("D4", CultureInfo.InvariantCulture)}";

    static TimeSpan Timeout(int objects) => TimeSpan.FromSeconds(120 + (3 * objects));

    /// <summary>
    /// Releases objects until there are <paramref name="total"/>, <see cref="GrowthBatch"/> at a time, each batch
    /// waited for until it ended; lets the operator settle, and reads its RSS and requests at rest.
    /// </summary>
    /// <param name="probePeriodSeconds">Readiness probe period of the new objects' pods: a thousand pods probed every 2 s would load the kubelet more than anything measured.</param>
    public async Task<ConvergedSample> GrowAndSettleAsync(int total, int probePeriodSeconds, CancellationToken cancellationToken)
    {
        var names = Enumerable.Range(released, Math.Max(0, total - released)).Select(Name).ToList();
        var started = RunClock.Now;
        var notHealthy = new List<string>();
        foreach (var batch in names.Chunk(GrowthBatch))
        {
            var first = await ApplyAllAsync(batch, "v1", probePeriodSeconds, cancellationToken);
            notHealthy.AddRange(NotHealthy(await AllEndedAsync(first, "v1", cancellationToken)));
            if (names.Count > GrowthBatch)
                world.Logger.LogInformation("{Released} of {Count} new objects released and ended", names.IndexOf(batch[^1]) + 1, names.Count);
        }

        released = Math.Max(released, total);
        var releaseSeconds = (RunClock.Now - started).TotalSeconds;
        world.Logger.LogInformation(
            "{Healthy} of {Count} new objects Healthy on v1 after {Seconds:F1} s ({Total} in all); letting the operator settle", names.Count - notHealthy.Count, names.Count, releaseSeconds, total);
        if (notHealthy.Count > 0)
            world.Logger.LogWarning("Not Healthy on v1: {Objects}", string.Join("; ", notHealthy.Take(10)));

        await Task.Delay(SettleBeforeMeasuring, cancellationToken);
        var windowStart = await ApiRequestCounts.ReadAsync(world.Operator, cancellationToken);
        await Task.Delay(ConvergedWindow, cancellationToken);
        var window = (await ApiRequestCounts.ReadAsync(world.Operator, cancellationToken)).Since(windowStart);
        var resident = world.Operator.ResidentBytes();
        world.Logger.LogInformation(
            "Converged with {Count} objects: RSS {MiB:F1} MiB, {Requests} requests in {Seconds} s", total, resident / 1048576.0, window.Total, ConvergedWindow.TotalSeconds);
        return new ConvergedSample(total, releaseSeconds, notHealthy, resident, ConvergedWindow.TotalSeconds, window);
    }

    /// <summary>Gives the first <paramref name="objects"/> objects v2 at once and waits until each is Healthy on it (or gave it up).</summary>
    public async Task<SimultaneousSample> RolloutAllAsync(int objects, CancellationToken cancellationToken)
    {
        var names = Enumerable.Range(0, objects).Select(Name).ToList();
        var before = await OperatorReading.TakeAsync(world.Operator, cancellationToken);
        using var sampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var peak = SamplePeakResidentAsync(sampling.Token);
        var started = RunClock.Now;
        var written = await ApplyAllAsync(names, "v2", Releases.TolerantProbePeriod, cancellationToken);
        var ended = await AllEndedAsync(written, "v2", cancellationToken);
        var wall = (RunClock.Now - started).TotalSeconds;
        var spent = (await OperatorReading.TakeAsync(world.Operator, cancellationToken)).Since(before);
        await sampling.CancelAsync();

        var healthy = written.Where(w => ended[w.Name].Healthy).ToList();
        var perObject = healthy.Select(w => (ended[w.Name].SeenAt - w.WrittenAt).TotalSeconds).ToList();
        double? allHealthy = healthy.Count == objects ? (ended.Values.Max(e => e.SeenAt) - started).TotalSeconds : null;
        var notHealthy = NotHealthy(ended);
        world.Logger.LogInformation(
            "{Healthy} of {Count} simultaneous rollouts Healthy on v2; all ended after {Seconds:F1} s", healthy.Count, objects, (ended.Values.Max(e => e.SeenAt) - started).TotalSeconds);
        if (notHealthy.Count > 0)
            world.Logger.LogWarning("Not Healthy: {Objects}", string.Join("; ", notHealthy.Take(10)));
        return new SimultaneousSample(objects, allHealthy, perObject, notHealthy, await peak, spent, wall);
    }

    /// <summary>Applies <paramref name="version"/> to every object, <see cref="ConcurrentWrites"/> writes in flight at a time, as a GitOps sync of many apps would.</summary>
    async Task<IReadOnlyList<Written>> ApplyAllAsync(IReadOnlyList<string> names, string version, int probePeriodSeconds, CancellationToken cancellationToken)
    {
        var written = new ConcurrentBag<Written>();
        await Parallel.ForEachAsync(
            names,
            new ParallelOptions { MaxDegreeOfParallelism = ConcurrentWrites, CancellationToken = cancellationToken },
            async (name, ct) =>
            {
                var applied = await world.Space.ApplyAsync(Releases.TinyServer(name, version, StabilizationSeconds, probePeriodSeconds), ct);
                written.Add(new Written(applied, RunClock.Now));
            });
        return [.. written];
    }

    /// <summary>Waits until every object either serves <paramref name="version"/> Healthy or gave its release up (Degraded, RolledBack).</summary>
    async Task<IReadOnlyDictionary<string, Ended>> AllEndedAsync(IReadOnlyList<Written> written, string version, CancellationToken cancellationToken)
    {
        var timeout = Timeout(written.Count);
        var ended = await Task.WhenAll(written.Select(async w =>
        {
            var generation = w.Applied.Metadata.Generation ?? 0;
            var seen = await world.Rollouts.FirstAsync(
                w.Name,
                w.WrittenAt,
                item => BenchmarkNamespace.Reached(item, generation, Phase.Healthy, version) || GaveUp(item, generation),
                timeout,
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
