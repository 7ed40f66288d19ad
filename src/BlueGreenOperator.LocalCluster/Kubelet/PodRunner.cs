using System.Net;
using BlueGreenOperator.LocalCluster.ControlPlane;
using BlueGreenOperator.LocalCluster.Networking;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.LocalCluster.Kubelet;

/// <summary>
/// Runs one pod: its network namespace, one supervisor per container, and its status, written
/// through the status subresource only when it changed. Deletion stops the containers within the
/// grace period, removes the namespace and then deletes the pod object for good.
/// </summary>
internal sealed class PodRunner(
    V1Pod pod,
    IKubernetes client,
    PodNetwork network,
    ImageCatalog images,
    ClusterState cluster,
    string logDirectory,
    ILogger logger)
{
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(2);

    private readonly Lock gate = new();
    private readonly TaskCompletionSource deletion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim statusChanged = new(0, 1);
    private readonly Dictionary<string, (string Status, DateTime Since)> conditions = [];
    private readonly DateTime startTime = DateTime.UtcNow;
    private List<ContainerSupervisor> initContainers = [];
    private List<ContainerSupervisor> containers = [];
    private bool initialized;
    private bool initializationFailed;
    private PodSandbox? sandbox;
    private bool removedFromApi;
    private bool shuttingDown;

    public string Uid { get; } = pod.Metadata.Uid;

    public string Namespace { get; } = pod.Metadata.NamespaceProperty;

    public string Name { get; } = pod.Metadata.Name;

    public Task Completion { get; private set; } = Task.CompletedTask;

    public void Start()
    {
        Update(pod);
        Completion = Task.Run(RunAsync);
    }

    public void Update(V1Pod latest)
    {
        lock (gate)
        {
            pod = latest;
        }

        if (latest.Metadata.DeletionTimestamp is not null)
        {
            deletion.TrySetResult();
        }
    }

    /// <summary>The pod object is gone from the API (a forced delete, or missed while not watching).</summary>
    public void RemovedFromApi()
    {
        removedFromApi = true;
        deletion.TrySetResult();
    }

    /// <summary>The kubelet stops: stop the processes and the network, leave the pod object alone.</summary>
    public Task ShutdownAsync()
    {
        shuttingDown = true;
        deletion.TrySetResult();
        return Completion;
    }

    private async Task RunAsync()
    {
        using var lifetime = new CancellationTokenSource();
        var statusWriter = WriteStatusAsync(lifetime.Token);
        try
        {
            await StartContainersAsync();
            await deletion.Task;
            var grace = shuttingDown || removedFromApi ? ShutdownGrace : GracePeriod();
            logger.LogInformation("Stopping pod {Namespace}/{Pod} with grace {Grace}", Namespace, Name, grace);
            await Task.WhenAll(initContainers.Concat(containers).Select(container => container.StopAsync(grace)));
            if (sandbox is not null)
            {
                await network.DeleteSandboxAsync(sandbox, CancellationToken.None);
            }
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Pod {Namespace}/{Pod} failed", Namespace, Name);
        }
        finally
        {
            await lifetime.CancelAsync();
            await statusWriter;
        }

        if (!removedFromApi && !shuttingDown)
        {
            await DeleteFromApiAsync();
        }
    }

    private async Task StartContainersAsync()
    {
        while (!deletion.Task.IsCompleted)
        {
            try
            {
                sandbox = await network.CreateSandboxAsync(Uid, CancellationToken.None);
                break;
            }
            catch (InvalidOperationException ex)
            {
                logger.LogWarning(ex, "Network for pod {Namespace}/{Pod} failed; retrying", Namespace, Name);
                await Task.WhenAny(deletion.Task, Task.Delay(TimeSpan.FromSeconds(5)));
            }
        }

        if (sandbox is null)
        {
            return;
        }

        V1Pod spec;
        lock (gate)
        {
            spec = pod;
        }

        var context = new ContainerContext(
            Namespace,
            Name,
            Uid,
            spec.Spec.NodeName ?? cluster.NodeName,
            cluster.BridgeAddress,
            sandbox.Address,
            sandbox.Namespace,
            spec.Spec.RestartPolicy ?? "Always",
            GracePeriod(),
            logDirectory,
            cluster.Prefix,
            await ReadEnvironmentSourcesAsync(spec));
        // Init containers run one after the other to completion; a failed one is retried unless the policy is Never.
        var initContext = context with { RestartPolicy = context.RestartPolicy == "Never" ? "Never" : "OnFailure" };
        initContainers = (spec.Spec.InitContainers ?? [])
            .Select(container => new ContainerSupervisor(container, initContext, images.Resolve(container), SignalStatusChanged, logger))
            .ToList();
        containers = spec.Spec.Containers
            .Select(container => new ContainerSupervisor(
                container,
                context,
                images.Resolve(container),
                SignalStatusChanged,
                logger,
                initContainers.Count > 0 ? "PodInitializing" : "ContainerCreating"))
            .ToList();
        foreach (var init in initContainers)
        {
            init.Start();
            await Task.WhenAny(init.Completion, deletion.Task);
            if (!init.Succeeded)
            {
                // Deleted meanwhile, failed for good (reported as Failed), or its image is unknown (stays Pending).
                initializationFailed = init.Failed;
                SignalStatusChanged();
                return;
            }
        }

        initialized = true;
        foreach (var container in containers)
        {
            container.Start();
        }

        logger.LogInformation("Started pod {Namespace}/{Pod} at {Address} in {NetworkNamespace}", Namespace, Name, sandbox.Address, sandbox.Namespace);
        SignalStatusChanged();
    }

    private async Task<EnvironmentSources> ReadEnvironmentSourcesAsync(V1Pod spec)
    {
        try
        {
            return await EnvironmentSources.ReadAsync(client, spec, CancellationToken.None);
        }
        catch (Exception ex) when (ex is HttpOperationException or HttpRequestException)
        {
            logger.LogWarning(ex, "Reading the environment sources of {Namespace}/{Pod} failed", Namespace, Name);
            return EnvironmentSources.None;
        }
    }

    private TimeSpan GracePeriod()
    {
        lock (gate)
        {
            var seconds = pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30;
            return TimeSpan.FromSeconds(Math.Max(0, seconds));
        }
    }

    private void SignalStatusChanged()
    {
        try
        {
            statusChanged.Release();
        }
        catch (SemaphoreFullException)
        {
            // A write is already pending; it will carry this change too.
        }
    }

    private async Task WriteStatusAsync(CancellationToken cancellationToken)
    {
        string? written = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await statusChanged.WaitAsync(cancellationToken);
                var patch = KubernetesJson.Serialize(new V1Pod { Status = BuildStatus() });
                if (patch == written)
                {
                    continue;
                }

                await client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), Name, Namespace, cancellationToken: cancellationToken);
                written = patch;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "Writing the status of {Namespace}/{Pod} failed; retrying", Namespace, Name);
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
                SignalStatusChanged();
            }
        }
    }

    private V1PodStatus BuildStatus()
    {
        var initStatuses = initContainers.Select(container => container.Snapshot()).ToList();
        var statuses = containers.Select(container => container.Snapshot()).ToList();
        var allReady = statuses.Count > 0 && statuses.All(status => status.Ready);
        var hasInitContainers = pod.Spec.InitContainers is { Count: > 0 };
        var phase = initializationFailed ? "Failed"
            : sandbox is null || statuses.Count == 0 || (hasInitContainers && !initialized) ? "Pending"
            : statuses.All(status => status.State.Terminated is not null)
                ? statuses.All(status => status.State.Terminated.ExitCode == 0) ? "Succeeded" : "Failed"
            : statuses.Any(status => status.State.Running is not null || status.RestartCount > 0 || status.State.Terminated is not null)
                ? "Running"
                : "Pending";
        return new V1PodStatus
        {
            Phase = phase,
            HostIP = cluster.BridgeAddress,
            PodIP = sandbox?.Address,
            PodIPs = sandbox is null ? null : [new V1PodIP { Ip = sandbox.Address }],
            StartTime = startTime,
            Conditions =
            [
                Condition("PodScheduled", true),
                Condition("Initialized", initialized || !hasInitContainers),
                Condition("ContainersReady", allReady),
                Condition("Ready", allReady),
            ],
            InitContainerStatuses = initStatuses.Count > 0 ? initStatuses : null,
            ContainerStatuses = statuses,
        };
    }

    /// <summary>A condition whose transition time moves only when its status flips.</summary>
    private V1PodCondition Condition(string type, bool value)
    {
        var status = value ? "True" : "False";
        lock (gate)
        {
            if (!conditions.TryGetValue(type, out var known) || known.Status != status)
            {
                var scheduledAt = pod.Status?.Conditions?.FirstOrDefault(condition => condition.Type == type && condition.Status == status)?.LastTransitionTime;
                known = (status, scheduledAt ?? DateTime.UtcNow);
                conditions[type] = known;
            }

            return new V1PodCondition
            {
                Type = type,
                Status = status,
                LastTransitionTime = known.Since,
                Reason = value ? null : type is "Ready" or "ContainersReady" ? "ContainersNotReady" : null,
            };
        }
    }

    private async Task DeleteFromApiAsync()
    {
        try
        {
            await client.CoreV1.DeleteNamespacedPodAsync(
                Name,
                Namespace,
                new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = Uid } },
                cancellationToken: CancellationToken.None);
            logger.LogInformation("Deleted pod {Namespace}/{Pod}", Namespace, Name);
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Already gone, or a new pod took the name.
        }
    }
}
