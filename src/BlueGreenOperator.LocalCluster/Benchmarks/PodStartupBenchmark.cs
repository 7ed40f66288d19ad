using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using BlueGreenOperator.LocalCluster.ControlPlane;
using BlueGreenOperator.LocalCluster.Kubelet;
using BlueGreenOperator.LocalCluster.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.LocalCluster.Benchmarks;

/// <summary>
/// Creates N pods of the HTTP image with a readiness probe and measures, as seen by a watching
/// client, the time from scheduled to Ready; also the kubelet's CPU and memory with them running.
/// </summary>
internal sealed class PodStartupBenchmark(ControlPlane.LocalCluster cluster, ILogger logger)
{
    private static readonly TimeSpan SteadyWindow = TimeSpan.FromSeconds(20);

    public async Task<string> RunAsync(int count, CancellationToken cancellationToken)
    {
        using var client = cluster.CreateClient();
        await using var space = await TestNamespace.CreateAsync(client, $"bench-{count}", cancellationToken);
        var scheduled = new ConcurrentDictionary<string, TimeSpan>();
        var ready = new ConcurrentDictionary<string, TimeSpan>();
        var clock = Stopwatch.StartNew();
        using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watch = WatchAsync(client, space.Name, clock, scheduled, ready, watching.Token);

        var kubelet = cluster.State.Pids[ClusterProcess.Kubelet];
        var cpuBefore = CpuTime(kubelet);
        using (var throttle = new SemaphoreSlim(8))
        {
            await Task.WhenAll(Enumerable.Range(0, count).Select(async index =>
            {
                await throttle.WaitAsync(cancellationToken);
                try
                {
                    await client.CoreV1.CreateNamespacedPodAsync(Pod(index), space.Name, cancellationToken: cancellationToken);
                }
                finally
                {
                    throttle.Release();
                }
            }));
        }

        await Eventually.UntilAsync(
            _ => Task.FromResult(ready.Count >= count),
            TimeSpan.FromMinutes(5),
            $"{count} pods to be Ready",
            cancellationToken);
        var allReadyAfter = clock.Elapsed;
        var startupCpu = CpuTime(kubelet) - cpuBefore;

        var steadyBefore = CpuTime(kubelet);
        await Task.Delay(SteadyWindow, cancellationToken);
        var steadyCpu = CpuTime(kubelet) - steadyBefore;
        var rss = ResidentKibibytes(kubelet);
        await watching.CancelAsync();
        await watch;

        var latencies = ready.Select(pair => pair.Value - scheduled.GetValueOrDefault(pair.Key, pair.Value)).Order().ToList();
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"pods: {count}");
        report.AppendLine(CultureInfo.InvariantCulture, $"scheduled->Ready p50: {Milliseconds(Percentile(latencies, 0.50))} ms, p90: {Milliseconds(Percentile(latencies, 0.90))} ms, max: {Milliseconds(latencies[^1])} ms");
        report.AppendLine(CultureInfo.InvariantCulture, $"all {count} Ready {allReadyAfter.TotalSeconds:F1} s after the first create");
        report.AppendLine(CultureInfo.InvariantCulture, $"kubelet CPU during start-up: {startupCpu.TotalSeconds:F2} s over {allReadyAfter.TotalSeconds:F1} s");
        report.AppendLine(CultureInfo.InvariantCulture, $"kubelet CPU with {count} pods running: {100 * steadyCpu.TotalSeconds / SteadyWindow.TotalSeconds:F1} % of one core (over {SteadyWindow.TotalSeconds:F0} s)");
        report.Append(CultureInfo.InvariantCulture, $"kubelet RSS with {count} pods running: {rss / 1024.0:F1} MiB");

        var deleting = Stopwatch.StartNew();
        await client.CoreV1.DeleteCollectionNamespacedPodAsync(space.Name, cancellationToken: cancellationToken);
        await Eventually.UntilAsync(
            async token => (await client.ListPodsAsync(space.Name, cancellationToken: token)).Count == 0,
            TimeSpan.FromMinutes(2),
            "benchmark pods to be deleted",
            cancellationToken);
        report.AppendLine();
        report.Append(CultureInfo.InvariantCulture, $"all {count} pods deleted (processes stopped, namespaces removed) in {deleting.Elapsed.TotalSeconds:F1} s");
        logger.LogInformation("Benchmark of {Count} pods done", count);
        return report.ToString();
    }

    private static V1Pod Pod(int index) => new()
    {
        Metadata = new V1ObjectMeta { Name = $"bench-{index.ToString(CultureInfo.InvariantCulture)}", Labels = new Dictionary<string, string> { ["app"] = "bench" } },
        Spec = new V1PodSpec
        {
            TerminationGracePeriodSeconds = 5,
            Containers =
            [
                new V1Container
                {
                    Name = "http",
                    Image = ImageCatalog.HttpImage,
                    Ports = [new V1ContainerPort { ContainerPort = 8080, Name = "http" }],
                    ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/", Port = "http" }, PeriodSeconds = 1 },
                },
            ],
        },
    };

    private static async Task WatchAsync(
        IKubernetes client,
        string namespaceName,
        Stopwatch clock,
        ConcurrentDictionary<string, TimeSpan> scheduled,
        ConcurrentDictionary<string, TimeSpan> ready,
        CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var (_, pod) in client.CoreV1.WatchListNamespacedPodAsync(namespaceName, cancellationToken: cancellationToken))
            {
                if (pod.Spec?.NodeName is not null)
                {
                    scheduled.TryAdd(pod.Metadata.Name, clock.Elapsed);
                }

                if (pod.IsReady())
                {
                    ready.TryAdd(pod.Metadata.Name, clock.Elapsed);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Measuring is over.
        }
    }

    private static TimeSpan Percentile(List<TimeSpan> sorted, double fraction) =>
        sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Count) - 1, 0, sorted.Count - 1)];

    private static string Milliseconds(TimeSpan value) => value.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture);

    /// <summary>User plus system CPU time of a process, from /proc (clock ticks of 10 ms).</summary>
    private static TimeSpan CpuTime(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    private static long ResidentKibibytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status").First(text => text.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}
