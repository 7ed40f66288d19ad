using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using BlueGreenOperator.LocalCluster.ControlPlane;
using BlueGreenOperator.LocalCluster.Networking;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.LocalCluster.Kubelet;

/// <summary>
/// A small kubelet: registers two nodes of this one machine (the node every pod goes to, and a spot node that takes
/// only pods tolerating its taint) and keeps them Ready, watches the pods bound to them and runs each one with a
/// <see cref="PodRunner"/>.
/// </summary>
public sealed class LocalKubelet(IKubernetes client, ClusterState cluster, string logDirectory, ImageCatalog images, ILogger logger)
{
    /// <summary>The label (and the taint's key, effect NoSchedule) of the spot node, with the value <see cref="SpotCapacity"/>.</summary>
    public const string CapacityLabel = "node.bluegreen.dev/capacity";
    public const string SpotCapacity = "spot";

    // Every address of the pod subnet but the bridge's.
    private const int PodCapacity = ClusterState.PodSubnetHosts - 1;

    /// <summary>
    /// Accelerators the node advertises as an extended resource, as a device plugin would: pods that ask for more
    /// stay Pending with the scheduler's "Insufficient nvidia.com/gpu" (nothing here gives a process a device).
    /// </summary>
    public const string AcceleratorResource = "nvidia.com/gpu";
    public const int AcceleratorCapacity = 2;
    private static readonly TimeSpan HeartbeatPeriod = TimeSpan.FromSeconds(10);
    private static readonly string[] NotReadyTaints = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"];

    private static readonly TimeSpan TombstoneLifetime = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, PodRunner> runners = new();

    // Pods already stopped and deleted: late watch events about them must not start a runner again.
    private readonly ConcurrentDictionary<string, DateTime> finished = new();
    private readonly PodNetwork network = new(cluster);
    private readonly DateTime readySince = DateTime.UtcNow;

    private IEnumerable<string> NodeNames => [cluster.NodeName, cluster.SpotNodeName];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(logDirectory);

        // Pods of an earlier kubelet of this cluster are started afresh, so their namespaces go first.
        await PodNetwork.RemoveAllAsync(cluster.Prefix, includeBridge: false, cancellationToken);
        await RegisterNodeAsync(cancellationToken);
        var heartbeat = HeartbeatAsync(cancellationToken);
        try
        {
            await WatchPodsAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Kubelet stopping; stopping {Count} pods", runners.Count);
        }
        finally
        {
            await Task.WhenAll(runners.Values.Select(runner => runner.ShutdownAsync()));
            await heartbeat;
        }
    }

    private async Task RegisterNodeAsync(CancellationToken cancellationToken)
    {
        foreach (var name in NodeNames)
        {
            var spot = name == cluster.SpotNodeName;
            var labels = new Dictionary<string, string>
            {
                ["kubernetes.io/hostname"] = name,
                ["kubernetes.io/os"] = "linux",
                ["kubernetes.io/arch"] = "amd64",
            };
            if (spot)
            {
                labels[CapacityLabel] = SpotCapacity;
            }

            var node = new V1Node
            {
                Metadata = new V1ObjectMeta { Name = name, Labels = labels },
                Spec = new V1NodeSpec
                {
                    PodCIDR = cluster.PodSubnet,
                    PodCIDRs = [cluster.PodSubnet],
                    Taints = spot ? [new V1Taint { Key = CapacityLabel, Value = SpotCapacity, Effect = "NoSchedule" }] : null,
                },
            };
            await Eventually.UntilAsync(
                async token =>
                {
                    try
                    {
                        await client.CoreV1.CreateNodeAsync(node, cancellationToken: token);
                    }
                    catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.Conflict)
                    {
                        // Registered by an earlier kubelet of this cluster.
                    }

                    await ReportNodeStatusAsync(name, token);
                    return true;
                },
                TimeSpan.FromMinutes(2),
                $"registration of node {name}",
                cancellationToken,
                TimeSpan.FromSeconds(1));
            logger.LogInformation("Registered node {Node}", name);
        }
    }

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(HeartbeatPeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                foreach (var (uid, at) in finished)
                {
                    if (DateTime.UtcNow - at > TombstoneLifetime)
                    {
                        finished.TryRemove(uid, out _);
                    }
                }

                foreach (var name in NodeNames)
                {
                    try
                    {
                        await ReportNodeStatusAsync(name, cancellationToken);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        logger.LogWarning(ex, "Heartbeat of node {Node} failed", name);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task ReportNodeStatusAsync(string name, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        V1NodeCondition Condition(string type, string status, string reason) => new()
        {
            Type = type,
            Status = status,
            Reason = reason,
            LastHeartbeatTime = now,
            LastTransitionTime = readySince,
        };
        var resources = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture)),
            ["memory"] = new($"{MemoryKibibytes().ToString(CultureInfo.InvariantCulture)}Ki"),
            ["pods"] = new(PodCapacity.ToString(CultureInfo.InvariantCulture)),
        };

        // Accelerators are on the first node only: the spot node is cheap CPU capacity.
        if (name == cluster.NodeName)
        {
            resources[AcceleratorResource] = new(AcceleratorCapacity.ToString(CultureInfo.InvariantCulture));
        }

        var status = new V1NodeStatus
        {
            Conditions =
            [
                Condition("MemoryPressure", "False", "KubeletHasSufficientMemory"),
                Condition("DiskPressure", "False", "KubeletHasNoDiskPressure"),
                Condition("PIDPressure", "False", "KubeletHasSufficientPID"),
                Condition("Ready", "True", "KubeletReady"),
            ],
            Addresses =
            [
                new V1NodeAddress { Type = "InternalIP", Address = cluster.BridgeAddress },
                new V1NodeAddress { Type = "Hostname", Address = name },
            ],
            Capacity = resources,
            Allocatable = resources,
            NodeInfo = new V1NodeSystemInfo
            {
                Architecture = "amd64",
                OperatingSystem = "linux",
                KubeletVersion = "v1.20.2",
                KubeProxyVersion = "v1.20.2",
                ContainerRuntimeVersion = "local://1.0",
                KernelVersion = Environment.OSVersion.Version.ToString(),
                OsImage = "local",
                MachineID = cluster.Prefix,
                SystemUUID = cluster.Prefix,
                BootID = cluster.Prefix,
            },
        };
        await client.CoreV1.PatchNodeStatusAsync(
            new V1Patch(KubernetesJson.Serialize(new V1Node { Status = status }), V1Patch.PatchType.MergePatch),
            name,
            cancellationToken: cancellationToken);

        var node = await client.CoreV1.ReadNodeAsync(name, cancellationToken: cancellationToken);
        var taints = node.Spec?.Taints ?? [];
        if (taints.Any(taint => NotReadyTaints.Contains(taint.Key)))
        {
            var kept = taints.Where(taint => !NotReadyTaints.Contains(taint.Key)).ToList();
            var patch = new V1Node { Spec = new V1NodeSpec { Taints = kept } };
            await client.CoreV1.PatchNodeAsync(new V1Patch(KubernetesJson.Serialize(patch), V1Patch.PatchType.MergePatch), name, cancellationToken: cancellationToken);
            logger.LogInformation("Removed the not-ready taint from {Node}", name);
        }
    }

    private static long MemoryKibibytes()
    {
        var line = File.ReadLines("/proc/meminfo").FirstOrDefault(text => text.StartsWith("MemTotal:", StringComparison.Ordinal));
        return line is null ? 4 * 1024 * 1024 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    private async Task WatchPodsAsync(CancellationToken cancellationToken)
    {
        // Every bound pod: both nodes are this kubelet's, and a field selector cannot name two values.
        const string fieldSelector = "spec.nodeName!=";
        while (true)
        {
            try
            {
                var list = await client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: fieldSelector, cancellationToken: cancellationToken);
                var present = list.Items.Select(pod => pod.Metadata.Uid).ToHashSet();
                foreach (var runner in runners.Values.Where(runner => !present.Contains(runner.Uid)))
                {
                    runner.RemovedFromApi();
                }

                foreach (var pod in list.Items)
                {
                    OnPod(pod);
                }

                var resourceVersion = list.Metadata.ResourceVersion;
                while (resourceVersion is not null)
                {
                    resourceVersion = await WatchFromAsync(fieldSelector, resourceVersion, cancellationToken);
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning(ex, "Pod watch failed; listing again");
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    /// <summary>Follows the watch from a resource version; returns where to continue, or null to relist (410 Gone).</summary>
    private async Task<string?> WatchFromAsync(string fieldSelector, string resourceVersion, CancellationToken cancellationToken)
    {
        var events = client.CoreV1.WatchListPodForAllNamespacesAsync(
            allowWatchBookmarks: true,
            fieldSelector: fieldSelector,
            resourceVersion: resourceVersion,
            timeoutSeconds: 300,
            cancellationToken: cancellationToken);
        await foreach (var (type, pod) in events)
        {
            switch (type)
            {
                case WatchEventType.Added or WatchEventType.Modified:
                    OnPod(pod);
                    break;
                case WatchEventType.Deleted:
                    if (runners.TryGetValue(pod.Metadata.Uid, out var runner))
                    {
                        runner.RemovedFromApi();
                    }

                    break;
                case WatchEventType.Error:
                    return null;
            }

            resourceVersion = pod.Metadata?.ResourceVersion ?? resourceVersion;
        }

        return resourceVersion;
    }

    private void OnPod(V1Pod pod)
    {
        var uid = pod.Metadata.Uid;
        if (runners.TryGetValue(uid, out var known))
        {
            known.Update(pod);
            return;
        }

        if (finished.ContainsKey(uid) || !NodeNames.Contains(pod.Spec?.NodeName))
        {
            return;
        }

        var terminal = pod.Status?.Phase is "Succeeded" or "Failed";
        if (terminal && pod.Metadata.DeletionTimestamp is null)
        {
            return;
        }

        var runner = new PodRunner(pod, client, network, images, cluster, logDirectory, logger);
        if (runners.TryAdd(uid, runner))
        {
            runner.Start();
            _ = runner.Completion.ContinueWith(
                _ =>
                {
                    finished[uid] = DateTime.UtcNow;
                    runners.TryRemove(uid, out var _);
                },
                TaskScheduler.Default);
        }
    }
}
