using k8s;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Benchmarks.Harness;

/// <summary>
/// Every version of the objects of one kind that a watch delivered, each with the time it arrived, so that a
/// benchmark can ask when an object first reached a state (not when it happened to look).
/// </summary>
internal sealed class ObjectHistory<T> : IAsyncDisposable
    where T : IKubernetesObject<k8s.Models.V1ObjectMeta>
{
    static readonly TimeSpan LookInterval = TimeSpan.FromMilliseconds(25);

    readonly Dictionary<string, List<Sighting<T>>> byName = [];
    readonly CancellationTokenSource stop = new();
    readonly Task watching;

    public ObjectHistory(Func<CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> watch, ILogger logger) =>
        watching = WatchAsync(watch, logger, stop.Token);

    async Task WatchAsync(Func<CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> watch, ILogger logger, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // A restarted watch replays the current state as ADDED events; a repeated sighting changes no answer.
                await foreach (var (type, item) in watch(cancellationToken))
                {
                    if (type is WatchEventType.Added or WatchEventType.Modified)
                        Record(item);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or k8s.Autorest.HttpOperationException or System.Text.Json.JsonException)
            {
                logger.LogWarning(e, "Watch of {Kind} failed; watching again", typeof(T).Name);
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None);
        }
    }

    void Record(T item)
    {
        var seen = new Sighting<T>(item, RunClock.Now);
        lock (byName)
        {
            if (!byName.TryGetValue(item.Metadata.Name, out var versions))
                byName[item.Metadata.Name] = versions = [];
            versions.Add(seen);
        }
    }

    /// <summary>The first version of <paramref name="name"/> that arrived at or after <paramref name="notBefore"/> and satisfies <paramref name="condition"/>.</summary>
    public async Task<Sighting<T>> FirstAsync(string name, TimeSpan notBefore, Func<T, bool> condition, TimeSpan timeout, string description, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            lock (byName)
            {
                if (byName.TryGetValue(name, out var versions) && versions.FirstOrDefault(v => v.SeenAt >= notBefore && condition(v.Object)) is { } found)
                    return found;
            }

            try
            {
                await Task.Delay(LookInterval, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {name}: {description}");
            }
        }
    }

    /// <summary>The newest version of <paramref name="name"/> seen so far.</summary>
    public T? Latest(string name)
    {
        lock (byName)
            return byName.TryGetValue(name, out var versions) && versions.Count > 0 ? versions[^1].Object : default;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await watching;
        stop.Dispose();
    }
}

/// <summary>One version of an object and the run-clock time its watch event arrived.</summary>
internal sealed record Sighting<T>(T Object, TimeSpan SeenAt);
