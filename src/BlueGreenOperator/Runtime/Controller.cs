using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Runtime;

internal sealed record ControllerOptions
{
    /// <summary>Name used in logs and as the queue-depth metric's <c>controller</c> tag.</summary>
    public string Name { get; init; } = "bluegreendeployment";

    public int Workers { get; init; } = 2;

    /// <summary>How long in-flight reconciles may run on after shutdown began before they are cancelled.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public string OwnerKind { get; init; } = "BlueGreenDeployment";

    public string OwnerGroup { get; init; } = "bluegreen.dev";
}

/// <summary>
/// Feeds keys from informers into a work queue and runs workers that reconcile them: the primary
/// resource by its own key, owned objects by their owner's key.
/// </summary>
internal sealed class Controller : IDisposable
{
    private readonly IReconciler reconciler;
    private readonly ControllerOptions options;
    private readonly ILogger logger;
    private readonly TimeProvider time;
    private readonly OwnerKeyResolver owners;
    private readonly List<Func<CancellationToken, Task>> informerRuns = [];
    private readonly List<Task> informerSyncs = [];
    private readonly IDisposable queueDepth;
    private long reconciles;
    private long failures;

    public Controller(IReconciler reconciler, ControllerOptions options, ILogger<Controller> logger, TimeProvider? time = null, RetryRateLimit? rateLimit = null)
    {
        this.reconciler = reconciler;
        this.options = options;
        this.logger = logger;
        this.time = time ?? TimeProvider.System;
        owners = new OwnerKeyResolver(options.OwnerKind, options.OwnerGroup);
        Queue = new WorkQueue<ObjectKey>(this.time, rateLimit);
        queueDepth = OperatorTelemetry.TrackQueueDepth(options.Name, () => Queue.Length);
    }

    public WorkQueue<ObjectKey> Queue { get; }

    /// <summary>Reconciles finished (successfully or not) since start.</summary>
    public long Reconciles => Interlocked.Read(ref reconciles);

    public long Failures => Interlocked.Read(ref failures);

    /// <summary>Every event of the primary resource enqueues that object's key.</summary>
    public void Watch<T>(Informer<T> informer)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        informer.Subscribe(change => Queue.Add(ObjectKey.Of(change.Object.Metadata)));
        Register(informer);
    }

    /// <summary>
    /// Every event of an owned object enqueues its owner's key. No generation filter: a Deployment's
    /// availability changes only its status.
    /// </summary>
    public void Owns<T>(Informer<T> informer)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        informer.Subscribe(change =>
        {
            if (owners.Resolve(change.Object.Metadata) is { } owner)
            {
                Queue.Add(owner);
            }
        });
        Register(informer);
    }

    /// <summary>Runs every registered informer until cancelled; may run on followers too, to keep caches warm.</summary>
    public Task RunInformersAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(informerRuns.Select(run => run(cancellationToken)));

    /// <summary>
    /// Waits for the informers' first lists, then runs the workers until <paramref name="stopping"/> is
    /// cancelled; then takes no new keys and returns once in-flight reconciles finished or the
    /// shutdown timeout cancelled them. The queue survives, so workers can be run again later (a new leadership term).
    /// </summary>
    public async Task RunWorkersAsync(CancellationToken stopping)
    {
        try
        {
            await Task.WhenAll(informerSyncs).WaitAsync(stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return;
        }

        logger.LogInformation("Controller {Controller} starting {Workers} workers", options.Name, options.Workers);
        using var abort = new CancellationTokenSource();
        var workers = Enumerable.Range(0, Math.Max(1, options.Workers))
            .Select(_ => Task.Run(() => WorkerAsync(stopping, abort.Token), CancellationToken.None))
            .ToArray();
        var all = Task.WhenAll(workers);

        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (stopping.Register(() => stopped.TrySetResult()))
        {
            await Task.WhenAny(all, stopped.Task);
        }

        try
        {
            await all.WaitAsync(options.ShutdownTimeout, time);
        }
        catch (TimeoutException)
        {
            logger.LogWarning("Controller {Controller}: reconciles still running after {Timeout}; cancelling them", options.Name, options.ShutdownTimeout);
            await abort.CancelAsync();
            await all.WaitAsync(TimeSpan.FromSeconds(5), time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        logger.LogInformation("Controller {Controller} workers stopped", options.Name);
    }

    public void Dispose()
    {
        queueDepth.Dispose();
        Queue.Dispose();
    }

    private void Register<T>(Informer<T> informer)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        informerRuns.Add(informer.RunAsync);
        informerSyncs.Add(informer.Synced);
    }

    private async Task WorkerAsync(CancellationToken stopping, CancellationToken abort)
    {
        while (!stopping.IsCancellationRequested)
        {
            WorkItem<ObjectKey> item;
            try
            {
                item = await Queue.GetAsync(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }

            if (item.ShuttingDown)
            {
                return;
            }

            await ProcessAsync(item.Key, abort);
        }
    }

    private async Task ProcessAsync(ObjectKey key, CancellationToken abort)
    {
        using var scope = logger.BeginScope(new Dictionary<string, object>
        {
            ["ObjectKey"] = key.ToString(),
            ["Namespace"] = key.Namespace,
            ["Name"] = key.Name,
        });
        using var activity = OperatorTelemetry.ActivitySource.StartActivity("reconcile");
        activity?.SetTag("k8s.namespace.name", key.Namespace);
        activity?.SetTag("bluegreen.object.name", key.Name);
        var started = Stopwatch.GetTimestamp();
        var outcome = "success";
        try
        {
            var result = await reconciler.ReconcileAsync(key, abort);
            Queue.Forget(key);
            if (result.RequeueDelay is { } delay)
            {
                Queue.AddAfter(key, delay);
                logger.LogDebug("Reconciled {ObjectKey}; requeue after {RequeueDelay}", key, delay);
            }
            else
            {
                logger.LogDebug("Reconciled {ObjectKey}", key);
            }
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            outcome = "cancelled";
            // The next leader or run picks it up again at once; a shutdown is not the object's fault.
            Queue.Add(key);
            logger.LogInformation("Reconcile of {ObjectKey} cancelled by shutdown", key);
        }
        catch (Exception e)
        {
            outcome = "error";
            Interlocked.Increment(ref failures);
            var retryIn = Queue.AddRateLimited(key);
            OperatorTelemetry.ReconcileErrors.Add(1, new KeyValuePair<string, object?>("controller", options.Name));
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            logger.LogError(e, "Reconcile of {ObjectKey} failed (attempt {Attempt}); retrying in {RetryDelay}", key, Queue.NumRequeues(key), retryIn);
        }
        finally
        {
            Queue.Done(key);
            Interlocked.Increment(ref reconciles);
            OperatorTelemetry.ReconcileDuration.Record(
                Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>("controller", options.Name),
                new KeyValuePair<string, object?>("outcome", outcome));
            activity?.SetTag("bluegreen.reconcile.outcome", outcome);
        }
    }
}
