using System.Collections.Concurrent;
using System.Globalization;
using BlueGreenOperator.Benchmarks.Harness;
using BlueGreenOperator.LocalCluster;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Benchmarks.Measurements;

/// <summary>K plain Deployments rolled from v1 to v2 at once: how long until each one's new pod served and its old pod went.</summary>
internal sealed record BaselineSample(int Deployments, double? AllRolledOutSeconds, IReadOnlyList<double> PerDeploymentSeconds, IReadOnlyList<string> NotRolledOut);

/// <summary>
/// The floor under K simultaneous rollouts: the same pods (template, probe, one replica) as the fleet's objects, in
/// plain Deployments whose rolling update (one pod surged, none unavailable) does what a blue-green release does to
/// its pods: start one new pod, wait for it to be Ready, remove the old one. Measured in the same run, on the same
/// machine load, right before the fleet; afterwards scaled to 0 so that their pods are gone before the fleet starts.
/// </summary>
internal sealed class ReadinessBaseline(BenchmarkWorld world, int deployments)
{
    const int ConcurrentWrites = FleetRollout.ConcurrentWrites;

    readonly List<string> names = [.. Enumerable.Range(0, deployments).Select(i => $"plain-{i.ToString("D3", CultureInfo.InvariantCulture)}")];

    TimeSpan Timeout => TimeSpan.FromSeconds(120 + (3 * deployments));

    public async Task<BaselineSample> RunAsync(CancellationToken cancellationToken)
    {
        await using var history = world.Space.WatchDeployments();
        var first = await ApplyAllAsync("v1", cancellationToken);
        await AllRolledOutAsync(history, first, cancellationToken);
        world.Logger.LogInformation("{Count} plain Deployments available at v1; rolling all to v2", deployments);

        var started = RunClock.Now;
        var written = await ApplyAllAsync("v2", cancellationToken);
        var done = await AllRolledOutAsync(history, written, cancellationToken);
        var rolledOut = written.Where(w => done[w.Name] is not null).ToList();
        var perDeployment = rolledOut.Select(w => (done[w.Name]!.Value - w.WrittenAt).TotalSeconds).ToList();
        double? all = rolledOut.Count == deployments ? (done.Values.Max()!.Value - started).TotalSeconds : null;
        var notRolledOut = written.Where(w => done[w.Name] is null).Select(w => w.Name).Order(StringComparer.Ordinal).ToList();
        world.Logger.LogInformation("{Done} of {Count} plain Deployments rolled out to v2; the last after {Seconds:F1} s", rolledOut.Count, deployments, all);

        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = ConcurrentWrites, CancellationToken = cancellationToken },
            async (name, ct) => await world.Space.ScaleDeploymentAsync(name, 0, ct));
        await Eventually.UntilAsync(
            async ct => !(await world.Space.Client.CoreV1.ListNamespacedPodAsync(world.Space.Name, cancellationToken: ct)).Items
                .Any(p => p.Metadata.Name.StartsWith("plain-", StringComparison.Ordinal)),
            Timeout, "the baseline's pods to be gone", cancellationToken, TimeSpan.FromSeconds(1));
        return new BaselineSample(deployments, all, perDeployment, notRolledOut);
    }

    async Task<IReadOnlyList<Written>> ApplyAllAsync(string version, CancellationToken cancellationToken)
    {
        var written = new ConcurrentBag<Written>();
        await Parallel.ForEachAsync(
            names,
            new ParallelOptions { MaxDegreeOfParallelism = ConcurrentWrites, CancellationToken = cancellationToken },
            async (name, ct) =>
            {
                var applied = await world.Space.ApplyDeploymentAsync(Releases.PlainTinyServer(name, version), ct);
                written.Add(new Written(applied, RunClock.Now));
            });
        return [.. written];
    }

    /// <summary>When each Deployment was seen rolled out (its generation observed, its one pod updated and available, no other left); null when it was not within the timeout.</summary>
    async Task<IReadOnlyDictionary<string, TimeSpan?>> AllRolledOutAsync(ObjectHistory<V1Deployment> history, IReadOnlyList<Written> written, CancellationToken cancellationToken)
    {
        var seen = await Task.WhenAll(written.Select(async w =>
        {
            var generation = w.Applied.Metadata.Generation ?? 0;
            try
            {
                var done = await history.FirstAsync(w.Name, w.WrittenAt, d => RolledOut(d, generation), Timeout, "rolled out", cancellationToken);
                return (w.Name, (TimeSpan?)done.SeenAt);
            }
            catch (TimeoutException)
            {
                return (w.Name, null);
            }
        }));
        return seen.ToDictionary(s => s.Name, s => s.Item2);
    }

    static bool RolledOut(V1Deployment d, long generation) =>
        d.Metadata.Generation >= generation
        && d.Status is { } status
        && status.ObservedGeneration >= d.Metadata.Generation
        && status.UpdatedReplicas == d.Spec.Replicas
        && status.AvailableReplicas == d.Spec.Replicas
        && status.Replicas == d.Spec.Replicas;

    sealed record Written(V1Deployment Applied, TimeSpan WrittenAt)
    {
        public string Name => Applied.Metadata.Name;
    }
}
