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
    private readonly List<IInformerHealth> informers = [];
    private readonly IDisposable queueDepth;
    private readonly DistinctErrors loggedErrors = new();
    // The error each failing key last logged: the same error again logs one line, without its stack trace.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ObjectKey, string> lastErrors = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ObjectKey, long> inFlight = new();
    private long reconciles;
    private long failures;
    private long progressAt;
    private int workersRunning;

    public Controller(IReconciler reconciler, ControllerOptions options, ILogger<Controller> logger, TimeProvider? time = null, RetryRateLimit? rateLimit = null)
    {
        this.reconciler = reconciler;
        this.options = options;
        this.logger = logger;
        this.time = time ?? TimeProvider.System;
        owners = new OwnerKeyResolver(options.OwnerKind, options.OwnerGroup);
        Queue = new WorkQueue<ObjectKey>(this.time, rateLimit);
        queueDepth = OperatorTelemetry.TrackQueueDepth(options.Name, () => Queue.Length);
        // The error counter exists at 0 from the start, so that its first increase is seen by rate() and alerts.
        OperatorTelemetry.ReconcileErrors.Add(0, new KeyValuePair<string, object?>("controller", options.Name));
    }

    public WorkQueue<ObjectKey> Queue { get; }

    /// <summary>Reconciles finished (successfully or not) since start.</summary>
    public long Reconciles => Interlocked.Read(ref reconciles);

    public long Failures => Interlocked.Read(ref failures);

    public IReadOnlyList<IInformerHealth> Informers => informers;

    /// <summary>What /healthz needs to tell wedged workers from busy ones, as of now.</summary>
    public WorkerHealth Health()
    {
        var now = time.GetTimestamp();
        var running = Volatile.Read(ref workersRunning) > 0;
        // One snapshot: a reconcile may finish between a check for emptiness and the search.
        var inFlightNow = inFlight.ToArray();
        var oldest = inFlightNow.Length == 0 ? (KeyValuePair<ObjectKey, long>?)null : inFlightNow.MinBy(entry => entry.Value);
        return new WorkerHealth(
            running,
            Queue.Length,
            running ? time.GetElapsedTime(Interlocked.Read(ref progressAt), now) : TimeSpan.Zero,
            oldest is { } o ? (o.Key, time.GetElapsedTime(o.Value, now)) : null);
    }

    /// <summary>Every event of the primary resource enqueues that object's key.</summary>
    public void Watch<T>(Informer<T> informer)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        informer.Subscribe(change => Queue.Add(ObjectKey.Of(change.Object.Metadata)));
        Register(informer);
    }

    /// <summary>
    /// Every event of an owned object enqueues its owner's key. No generation filter: a Deployment's
    /// availability changes only its status.
    /// </summary>
    public void Owns<T>(Informer<T> informer)
        where T : class, IKubernetesObject<V1ObjectMeta>
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
    /// shutdown timeout cancelled them. <paramref name="lost"/> (leadership lost) stops taking keys and cancels
    /// in-flight reconciles at once. The queue survives, so workers can be run again later (a new leadership term).
    /// </summary>
    public async Task RunWorkersAsync(CancellationToken stopping, CancellationToken lost = default)
    {
        using var halt = CancellationTokenSource.CreateLinkedTokenSource(stopping, lost);
        try
        {
            await Task.WhenAll(informerSyncs).WaitAsync(halt.Token);
        }
        catch (OperationCanceledException) when (halt.IsCancellationRequested)
        {
            return;
        }

        logger.LogInformation("Controller {Controller} starting {Workers} workers", options.Name, options.Workers);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(lost);
        Interlocked.Exchange(ref progressAt, time.GetTimestamp());
        Interlocked.Increment(ref workersRunning);
        try
        {
            var workers = Enumerable.Range(0, Math.Max(1, options.Workers))
                .Select(_ => Task.Run(() => WorkerAsync(halt.Token, abort.Token), CancellationToken.None))
                .ToArray();
            var all = Task.WhenAll(workers);

            var halted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await using (halt.Token.Register(() => halted.TrySetResult()))
            {
                await Task.WhenAny(all, halted.Task);
            }

            if (lost.IsCancellationRequested)
            {
                logger.LogWarning("Controller {Controller}: leadership lost; cancelling in-flight reconciles", options.Name);
                await all.WaitAsync(TimeSpan.FromSeconds(5), time).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            else
            {
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
            }
        }
        finally
        {
            Interlocked.Decrement(ref workersRunning);
        }

        logger.LogInformation("Controller {Controller} workers stopped", options.Name);
    }

    public void Dispose()
    {
        queueDepth.Dispose();
        Queue.Dispose();
    }

    private void Register<T>(Informer<T> informer)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        informerRuns.Add(informer.RunAsync);
        informerSyncs.Add(informer.Synced);
        informers.Add(informer);
    }

    private async Task WorkerAsync(CancellationToken stopping, CancellationToken abort)
    {
        // Both tokens: an aborted reconcile puts its key back, and a worker that only watched "stopping" could take
        // that key again at once, inside the very cancellation callback that has not reached "stopping" yet.
        while (!stopping.IsCancellationRequested && !abort.IsCancellationRequested)
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

    private static WriteFencedException? Fenced(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is WriteFencedException fenced)
            {
                return fenced;
            }
        }

        return null;
    }

    private async Task ProcessAsync(ObjectKey key, CancellationToken abort)
    {
        // A message-template scope: structured (ObjectKey) for log stores, readable ("ml/iris") on a console.
        using var scope = logger.BeginScope("{ObjectKey}", key.ToString());
        using var activity = OperatorTelemetry.ActivitySource.StartActivity("reconcile");
        activity?.SetTag("k8s.namespace.name", key.Namespace);
        activity?.SetTag("bluegreen.object.name", key.Name);
        var started = Stopwatch.GetTimestamp();
        inFlight[key] = time.GetTimestamp();
        var outcome = "success";
        try
        {
            var result = await reconciler.ReconcileAsync(key, abort);
            Queue.Forget(key);
            lastErrors.TryRemove(key, out _);
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
        catch (Exception e) when ((e is OperationCanceledException && abort.IsCancellationRequested) || Fenced(e) is not null)
        {
            outcome = "cancelled";
            // The next leader or run picks it up again at once; losing the lease or shutting down is not the object's fault.
            Queue.Add(key);
            logger.LogInformation("Reconcile of {ObjectKey} stopped: {Reason}", key, Fenced(e)?.Message ?? "cancelled by shutdown or loss of the lease");
        }
        catch (Exception e)
        {
            outcome = "error";
            Interlocked.Increment(ref failures);
            var retryIn = Queue.AddRateLimited(key);
            OperatorTelemetry.ReconcileErrors.Add(1, new KeyValuePair<string, object?>("controller", options.Name));
            activity?.SetStatus(ActivityStatusCode.Error, e.Message);
            var signature = DistinctErrors.Signature(e);
            var repeated = lastErrors.TryGetValue(key, out var previous) && previous == signature;
            lastErrors[key] = signature;
            if (!repeated && loggedErrors.IsNew(e))
            {
                logger.LogError(e, "Reconcile of {ObjectKey} failed (attempt {Attempt}); retrying in {RetryDelay}", key, Queue.NumRequeues(key), retryIn);
            }
            else
            {
                logger.LogError("Reconcile of {ObjectKey} failed (attempt {Attempt}): {Error}; retrying in {RetryDelay}", key, Queue.NumRequeues(key), e.Message, retryIn);
            }
        }
        finally
        {
            inFlight.TryRemove(key, out _);
            Interlocked.Exchange(ref progressAt, time.GetTimestamp());
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

/// <summary>The workers as /healthz sees them.</summary>
/// <param name="Running">Workers run (this instance leads).</param>
/// <param name="Ready">Keys ready and waiting for a worker.</param>
/// <param name="SinceProgress">Since a reconcile last finished (or the workers started).</param>
/// <param name="Longest">The reconcile running longest, and for how long.</param>
internal sealed record WorkerHealth(bool Running, int Ready, TimeSpan SinceProgress, (ObjectKey Key, TimeSpan Running)? Longest);
