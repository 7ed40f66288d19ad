using System.Collections.Concurrent;
using System.Globalization;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Runtime;

internal enum InformerEventType
{
    Added,
    Modified,
    Deleted,
}

internal sealed record InformerEvent<T>(InformerEventType Type, T Object);

internal sealed record InformerOptions<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>Every this often each cached object is reported again as Modified; zero or less turns resync off.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>First wait before relisting after a failed list or watch; doubles up to <see cref="MaxErrorBackoff"/>.</summary>
    public TimeSpan ErrorBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxErrorBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A watch the server closed sooner than this after it opened waits this long before re-watching, so that a server closing at once cannot spin us.</summary>
    public TimeSpan MinWatchLifetime { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Applied to every object before it enters the cache and before subscribers see it (listed, watched or
    /// upserted). The default strips <c>metadata.managedFields</c>, which the operator never reads.
    /// </summary>
    public Func<T, T>? Transform { get; init; } = StripManagedFields;

    public static T StripManagedFields(T item)
    {
        item.Metadata?.ManagedFields = null;
        return item;
    }
}

/// <summary>Any informer, as health checks see it.</summary>
internal interface IInformerHealth
{
    InformerHealth Health { get; }
}

/// <summary>How an informer is doing: what /readyz and /healthz report.</summary>
/// <param name="FailingSince">Since when lists or watches keep failing; null while they work.</param>
internal sealed record InformerHealth(string Name, bool Synced, DateTimeOffset? StartedAt, DateTimeOffset? FailingSince, string? LastError);

/// <summary>
/// Lists (in pages) then watches one kind of object, keeps a cache of it and tells subscribers what changed. On
/// 410 Gone or any watch error it relists and reports the difference against the cache as synthetic events.
/// Objects are decoded one by one: one that does not decode is reported to <see cref="SubscribeUndecodable"/>
/// subscribers and skipped (and removed from the cache if an earlier version was there), never stopping the rest.
/// The cache never goes back in time: an object older than the cached one (by resourceVersion) is ignored.
/// </summary>
internal sealed class Informer<T>(
    string name,
    ListWatch<T> source,
    ILogger logger,
    InformerOptions<T>? options = null,
    TimeProvider? time = null) : IInformerHealth
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>Times a list restarts from its first page when a continue token expired before it gives up and backs off.</summary>
    private const int MaxListRestarts = 3;

    private readonly InformerOptions<T> options = options ?? new InformerOptions<T>();
    private readonly TimeProvider time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<ObjectKey, T> cache = new();
    // Serialises cache changes with their notifications so that subscribers see them in order.
    private readonly object dispatch = new();
    private readonly List<Action<InformerEvent<T>>> handlers = [];
    private readonly List<Action<UndecodableObject>> undecodableHandlers = [];
    private readonly TaskCompletionSource synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly DistinctErrors loggedErrors = new();
    private string resourceVersion = string.Empty;
    private int delivered;
    private volatile InformerHealth health = new(name, false, null, null, null);

    public string Name => name;

    /// <summary>Completes once the first list is in the cache (objects that do not decode are not waited for).</summary>
    public Task Synced => synced.Task;

    /// <summary>The resourceVersion the next watch starts from.</summary>
    public string ResourceVersion => Volatile.Read(ref resourceVersion);

    public InformerHealth Health => health;

    /// <summary>Handlers run on the informer's loop, one event at a time; they should only enqueue work.</summary>
    public void Subscribe(Action<InformerEvent<T>> handler)
    {
        lock (dispatch)
        {
            handlers.Add(handler);
        }
    }

    /// <summary>Told of every listed or watched object that did not decode, each time it is seen.</summary>
    public void SubscribeUndecodable(Action<UndecodableObject> handler)
    {
        lock (dispatch)
        {
            undecodableHandlers.Add(handler);
        }
    }

    public bool TryGet(ObjectKey key, out T value) => cache.TryGetValue(key, out value!);

    public IReadOnlyList<T> List() => [.. cache.Values];

    /// <summary>
    /// Puts an object the operator just wrote (the server's response) into the cache at once, so that the next
    /// reconcile never reads an older version; ignored when the cache already holds this version or a newer one.
    /// Subscribers are told when the cache changed. Returns whether it did.
    /// </summary>
    public bool Upsert(T written)
    {
        ArgumentNullException.ThrowIfNull(written);
        lock (dispatch)
        {
            return Store(Transform(written));
        }
    }

    /// <summary>Removes an object the operator just deleted, telling subscribers; a later watch event cannot bring it back older.</summary>
    public bool Forget(ObjectKey key)
    {
        lock (dispatch)
        {
            if (!cache.TryRemove(key, out var gone))
            {
                return false;
            }

            Notify(new InformerEvent<T>(InformerEventType.Deleted, gone));
            return true;
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        health = health with { StartedAt = time.GetUtcNow() };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var resync = options.ResyncPeriod > TimeSpan.Zero ? ResyncLoopAsync(stop.Token) : Task.CompletedTask;
        try
        {
            await ListAndWatchLoopAsync(stop.Token);
        }
        finally
        {
            await stop.CancelAsync();
            await resync.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// True when <paramref name="incoming"/> is older than <paramref name="cached"/>. resourceVersions are compared as
    /// 64-bit integers, as etcd's versioner does; when either does not parse the newer arrival wins.
    /// </summary>
    public static bool IsOlder(string? incoming, string? cached) =>
        long.TryParse(incoming, NumberStyles.None, CultureInfo.InvariantCulture, out var a)
        && long.TryParse(cached, NumberStyles.None, CultureInfo.InvariantCulture, out var b)
        && a < b;

    private async Task ListAndWatchLoopAsync(CancellationToken ct)
    {
        var backoff = options.ErrorBackoff;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var (items, listedVersion) = await ListAllAsync(ct);
                Replace(items);
                Volatile.Write(ref resourceVersion, listedVersion);
                health = health with { Synced = true, FailingSince = null, LastError = null };
                synced.TrySetResult();
                logger.LogDebug("Informer {Informer} listed {Count} objects at resourceVersion {ResourceVersion}", name, items.Count, listedVersion);
                await WatchUntilErrorAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (WatchFailedException.IsResourceExpired(e))
            {
                logger.LogInformation("Informer {Informer}: resourceVersion {ResourceVersion} expired (410 Gone); relisting", name, ResourceVersion);
            }
            catch (Exception e)
            {
                // Only a watch that delivered something counts as recovery; a watch failing at once keeps backing off.
                if (Interlocked.Exchange(ref delivered, 0) == 1)
                {
                    backoff = options.ErrorBackoff;
                }

                var now = time.GetUtcNow();
                health = health with { FailingSince = health.FailingSince ?? now, LastError = e.Message };
                if (loggedErrors.IsNew(e))
                {
                    logger.LogWarning(e, "Informer {Informer}: list or watch failed; relisting in {Backoff}", name, backoff);
                }
                else
                {
                    logger.LogWarning("Informer {Informer}: list or watch failed again ({Error}); relisting in {Backoff}", name, e.Message, backoff);
                }

                await Task.Delay(backoff, time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.MaxErrorBackoff.Ticks));
            }
        }
    }

    /// <summary>
    /// Reads every page; a continue token that expired (410) restarts the list from its first page. Each page's
    /// objects are shaped for the cache as soon as the page is read, so that a list of many pages never holds more
    /// than one page of full objects (the memory of a start over many objects).
    /// </summary>
    private async Task<(List<Decoded<T>> Items, string ResourceVersion)> ListAllAsync(CancellationToken ct)
    {
        for (var restarts = 0; ; restarts++)
        {
            var items = new List<Decoded<T>>();
            string? next = null;
            try
            {
                do
                {
                    var page = await source.List(next, ct);
                    items.AddRange(page.Items.Select(item => item.Object is { } value ? item with { Object = Transform(value) } : item));
                    next = page.Continue;
                    if (next is null)
                    {
                        return (items, page.ResourceVersion);
                    }
                }
                while (true);
            }
            catch (Exception e) when (next is not null && restarts < MaxListRestarts && WatchFailedException.IsResourceExpired(e))
            {
                logger.LogInformation("Informer {Informer}: the list's continue token expired (410 Gone); listing again from the start", name);
            }
        }
    }

    /// <summary>Watches from the current resourceVersion, re-watching after each clean close, until the watch fails.</summary>
    private async Task WatchUntilErrorAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var openedAt = time.GetUtcNow();
            await foreach (var (type, item) in source.Watch(ResourceVersion, ct).WithCancellation(ct))
            {
                Apply(type, item);
            }

            if (time.GetUtcNow() - openedAt < options.MinWatchLifetime)
            {
                await Task.Delay(options.MinWatchLifetime, time, ct);
            }
        }
    }

    private void Apply(WatchChange type, Decoded<T> item)
    {
        Volatile.Write(ref delivered, 1);
        if (health.FailingSince is not null)
        {
            health = health with { FailingSince = null, LastError = null };
        }
        switch (type)
        {
            case WatchChange.Added:
            case WatchChange.Modified:
                lock (dispatch)
                {
                    if (item.Object is { } value)
                    {
                        Store(Transform(value));
                    }
                    else
                    {
                        Reject(item);
                    }
                }

                break;
            case WatchChange.Deleted:
                lock (dispatch)
                {
                    // A deletion always applies, whether or not the last version decoded.
                    var key = item.Identity.Key;
                    if (cache.TryRemove(key, out var cached))
                    {
                        Notify(new InformerEvent<T>(InformerEventType.Deleted, item.Object is { } gone ? Transform(gone) : cached));
                    }
                    else if (item.Object is { } gone)
                    {
                        Notify(new InformerEvent<T>(InformerEventType.Deleted, Transform(gone)));
                    }
                }

                break;
            case WatchChange.Bookmark:
                // A bookmark carries only a newer resourceVersion to resume from.
                break;
            default:
                throw new WatchFailedException($"Unexpected watch event {type}", new InvalidOperationException(type.ToString()));
        }

        if (!string.IsNullOrEmpty(item.Identity.ResourceVersion))
        {
            Volatile.Write(ref resourceVersion, item.Identity.ResourceVersion);
        }
    }

    /// <summary>Makes the cache equal to a fresh list and reports what differs as Added, Modified and Deleted.</summary>
    private void Replace(IReadOnlyList<Decoded<T>> items)
    {
        lock (dispatch)
        {
            var listed = new HashSet<ObjectKey>();
            foreach (var item in items)
            {
                if (item.Object is { } value)
                {
                    listed.Add(item.Identity.Key);
                    Store(value); // shaped when its page was read
                }
                else
                {
                    Reject(item);
                }
            }

            foreach (var (key, gone) in cache.Where(entry => !listed.Contains(entry.Key)).ToList())
            {
                cache.TryRemove(key, out _);
                Notify(new InformerEvent<T>(InformerEventType.Deleted, gone));
            }
        }
    }

    /// <summary>Caches an object unless the cache holds the same or a newer version; notifies when it changed. Under <see cref="dispatch"/>.</summary>
    private bool Store(T value)
    {
        var key = ObjectKey.Of(value.Metadata);
        if (cache.TryGetValue(key, out var cached))
        {
            var cachedVersion = cached.Metadata.ResourceVersion;
            var incomingVersion = value.Metadata.ResourceVersion;
            if (IsOlder(incomingVersion, cachedVersion) || (incomingVersion == cachedVersion && !string.IsNullOrEmpty(incomingVersion)))
            {
                return false;
            }

            cache[key] = value;
            Notify(new InformerEvent<T>(InformerEventType.Modified, value));
            return true;
        }

        cache[key] = value;
        Notify(new InformerEvent<T>(InformerEventType.Added, value));
        return true;
    }

    /// <summary>An object that does not decode: reported, and its older cached version (if any) removed as Deleted. Under <see cref="dispatch"/>.</summary>
    private void Reject(Decoded<T> item)
    {
        var key = item.Identity.Key;
        if (cache.TryGetValue(key, out var cached) && IsOlder(item.Identity.ResourceVersion, cached.Metadata.ResourceVersion))
        {
            return;
        }

        logger.LogWarning(
            "Informer {Informer}: {ObjectKey} at resourceVersion {ResourceVersion} does not decode at {Path} ({Error}); skipped",
            name, key, item.Identity.ResourceVersion, item.Failure?.Path, item.Failure?.Message);
        if (cache.TryRemove(key, out var removed))
        {
            Notify(new InformerEvent<T>(InformerEventType.Deleted, removed));
        }

        var undecodable = item.ToUndecodable();
        foreach (var handler in undecodableHandlers)
        {
            try
            {
                handler(undecodable);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Informer {Informer}: a subscriber failed on the undecodable {ObjectKey}", name, key);
            }
        }
    }

    private T Transform(T item) => options.Transform is { } transform ? transform(item) : item;

    private async Task ResyncLoopAsync(CancellationToken ct)
    {
        try
        {
            await synced.Task.WaitAsync(ct);
            while (true)
            {
                await Task.Delay(options.ResyncPeriod, time, ct);
                lock (dispatch)
                {
                    foreach (var item in cache.Values)
                    {
                        Notify(new InformerEvent<T>(InformerEventType.Modified, item));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private void Notify(InformerEvent<T> change)
    {
        foreach (var handler in handlers)
        {
            try
            {
                handler(change);
            }
            catch (Exception e)
            {
                logger.LogError(e, "Informer {Informer}: a subscriber failed on {EventType} of {ObjectKey}", name, change.Type, ObjectKey.Of(change.Object.Metadata));
            }
        }
    }
}
