using System.Collections.Concurrent;
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

internal sealed record InformerOptions
{
    /// <summary>Every this often each cached object is reported again as Modified; zero or less turns resync off.</summary>
    public TimeSpan ResyncPeriod { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>First wait before relisting after a failed list or watch; doubles up to <see cref="MaxErrorBackoff"/>.</summary>
    public TimeSpan ErrorBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxErrorBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A watch the server closed sooner than this after it opened waits this long before re-watching, so that a server closing at once cannot spin us.</summary>
    public TimeSpan MinWatchLifetime { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Lists then watches one kind of object, keeps a cache of it and tells subscribers what changed. On 410
/// Gone or any watch error it relists and reports the difference against the cache as synthetic events.
/// </summary>
internal sealed class Informer<T>(
    string name,
    ListWatch<T> source,
    ILogger logger,
    InformerOptions? options = null,
    TimeProvider? time = null)
    where T : IKubernetesObject<V1ObjectMeta>
{
    private readonly InformerOptions options = options ?? new InformerOptions();
    private readonly TimeProvider time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<ObjectKey, T> cache = new();
    // Serialises cache changes with their notifications so that subscribers see them in order.
    private readonly object dispatch = new();
    private readonly List<Action<InformerEvent<T>>> handlers = [];
    private readonly TaskCompletionSource synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string resourceVersion = string.Empty;
    private int delivered;

    public string Name => name;

    /// <summary>Completes once the first list is in the cache.</summary>
    public Task Synced => synced.Task;

    /// <summary>The resourceVersion the next watch starts from.</summary>
    public string ResourceVersion => Volatile.Read(ref resourceVersion);

    /// <summary>Handlers run on the informer's loop, one event at a time; they should only enqueue work.</summary>
    public void Subscribe(Action<InformerEvent<T>> handler)
    {
        lock (dispatch)
        {
            handlers.Add(handler);
        }
    }

    public bool TryGet(ObjectKey key, out T value) => cache.TryGetValue(key, out value!);

    /// <summary>
    /// Puts an object the operator just wrote into the cache at once, so that the next decision never sees an older
    /// version; an older arrival (by resourceVersion) never replaces a newer cached object.
    /// </summary>
    public void Upsert(T written)
    {
        lock (dispatch)
        {
            var key = ObjectKey.Of(written.Metadata);
            var existed = cache.TryGetValue(key, out var cached);
            if (existed && IsOlder(written, cached!))
            {
                return;
            }

            cache[key] = written;
            Notify(new InformerEvent<T>(existed ? InformerEventType.Modified : InformerEventType.Added, written));
        }
    }

    /// <summary>Removes an object the operator just deleted.</summary>
    public void Forget(ObjectKey key)
    {
        lock (dispatch)
        {
            if (cache.TryRemove(key, out var gone))
            {
                Notify(new InformerEvent<T>(InformerEventType.Deleted, gone));
            }
        }
    }

    // resourceVersions are compared as integers, as client-go's etcd versioner does; if one does not parse, the arrival wins.
    private static bool IsOlder(T arrival, T cached) =>
        long.TryParse(arrival.Metadata?.ResourceVersion, out var a) && long.TryParse(cached.Metadata?.ResourceVersion, out var b) && a < b;

    public IReadOnlyList<T> List() => [.. cache.Values];

    public async Task RunAsync(CancellationToken cancellationToken)
    {
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

    private async Task ListAndWatchLoopAsync(CancellationToken ct)
    {
        var backoff = options.ErrorBackoff;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var listed = await source.List(ct);
                Replace(listed.Items);
                Volatile.Write(ref resourceVersion, listed.ResourceVersion);
                synced.TrySetResult();
                logger.LogDebug("Informer {Informer} listed {Count} objects at resourceVersion {ResourceVersion}", name, listed.Items.Count, listed.ResourceVersion);
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

                logger.LogWarning(e, "Informer {Informer}: list or watch failed; relisting in {Backoff}", name, backoff);
                await Task.Delay(backoff, time, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.MaxErrorBackoff.Ticks));
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

    private void Apply(WatchEventType type, T item)
    {
        Volatile.Write(ref delivered, 1);
        var itemVersion = item.Metadata?.ResourceVersion;
        switch (type)
        {
            case WatchEventType.Added:
            case WatchEventType.Modified:
                lock (dispatch)
                {
                    var key = ObjectKey.Of(item.Metadata!);
                    var existed = cache.TryGetValue(key, out var cached);
                    if (existed && IsOlder(item, cached!))
                    {
                        break;
                    }

                    cache[key] = item;
                    Notify(new InformerEvent<T>(existed ? InformerEventType.Modified : InformerEventType.Added, item));
                }

                break;
            case WatchEventType.Deleted:
                lock (dispatch)
                {
                    cache.TryRemove(ObjectKey.Of(item.Metadata!), out _);
                    Notify(new InformerEvent<T>(InformerEventType.Deleted, item));
                }

                break;
            case WatchEventType.Bookmark:
                // A bookmark carries only a newer resourceVersion to resume from.
                break;
            default:
                throw new WatchFailedException($"Unexpected watch event {type}", new InvalidOperationException(type.ToString()));
        }

        if (!string.IsNullOrEmpty(itemVersion))
        {
            Volatile.Write(ref resourceVersion, itemVersion);
        }
    }

    /// <summary>Makes the cache equal to a fresh list and reports what differs as Added, Modified and Deleted.</summary>
    private void Replace(IReadOnlyList<T> items)
    {
        lock (dispatch)
        {
            var listed = new HashSet<ObjectKey>();
            foreach (var item in items)
            {
                var key = ObjectKey.Of(item.Metadata);
                listed.Add(key);
                if (!cache.TryGetValue(key, out var cached))
                {
                    cache[key] = item;
                    Notify(new InformerEvent<T>(InformerEventType.Added, item));
                }
                else if (cached.Metadata.ResourceVersion != item.Metadata.ResourceVersion)
                {
                    cache[key] = item;
                    Notify(new InformerEvent<T>(InformerEventType.Modified, item));
                }
            }

            foreach (var (key, gone) in cache.Where(entry => !listed.Contains(entry.Key)).ToList())
            {
                cache.TryRemove(key, out _);
                Notify(new InformerEvent<T>(InformerEventType.Deleted, gone));
            }
        }
    }

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
