using System.Collections.Concurrent;
using BlueGreenOperator.Plugin.Cluster;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Plugin.Dashboard;

/// <summary>
/// What the dashboard knows of the cluster: the BlueGreenDeployments and their Events, kept by list-then-watch with
/// the user's client (a relist after 410 Gone or a dropped watch), and the phases seen per object. Changes are
/// collected as dirty keys and handed out in batches, so that a burst of events becomes one push to the page.
/// </summary>
internal sealed class ClusterMirror(IKubernetes client, BlueGreenApi api, string server, string? ns, TimeProvider clock)
{
    public const int PhaseHistoryLimit = 50;
    private const int EventsPerObject = DashboardView.EventLimit;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, BlueGreenDeployment> objects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, Corev1Event>> events = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<PhaseSeen>> phases = new(StringComparer.Ordinal);
    private readonly HashSet<string> dirty = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim changed = new(0);

    private const string ObjectFeed = "BlueGreenDeployments";
    private const string EventFeed = "Events";

    private readonly ConcurrentDictionary<string, string> problems = new(StringComparer.Ordinal);

    /// <summary>The last failure of each list or watch that has not recovered, shown on the page (e.g. forbidden to list in a namespace).</summary>
    public string? Problem => problems.IsEmpty
        ? null
        : string.Join("; ", new[] { ObjectFeed, EventFeed }.Select(what => problems.GetValueOrDefault(what)).OfType<string>());

    public IReadOnlyList<ObjectRow> Rows() => [.. objects.Values.Select(DashboardView.Row).OrderBy(r => r.Key, StringComparer.Ordinal)];

    public BlueGreenDeployment? Find(string key) => objects.GetValueOrDefault(key);

    public ObjectDetail? Detail(string key)
    {
        if (!objects.TryGetValue(key, out var item))
        {
            return null;
        }

        var about = events.TryGetValue(key, out var byName) ? byName.Values.ToList() : [];
        return DashboardView.Detail(item, about, PhasesOf(key));
    }

    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(
            FollowAsync(ObjectFeed, ListObjectsAsync, WatchObjects, Apply, cancellationToken),
            FollowAsync(EventFeed, ListEventsAsync, WatchEvents, Apply, cancellationToken));

    /// <summary>
    /// Waits for a change, lets more arrive for <paramref name="window"/>, then hands out every key changed meanwhile
    /// (deleted ones included; the empty key stands for <see cref="Problem"/>) at once.
    /// </summary>
    public async Task<IReadOnlyCollection<string>> NextChangesAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        await changed.WaitAsync(cancellationToken);
        await Task.Delay(window, clock, cancellationToken);
        lock (dirty)
        {
            while (changed.CurrentCount > 0 && changed.Wait(0))
            {
            }

            var batch = dirty.ToList();
            dirty.Clear();
            return batch;
        }
    }

    private IReadOnlyList<PhaseSeen> PhasesOf(string key)
    {
        if (!phases.TryGetValue(key, out var seen))
        {
            return [];
        }

        lock (seen)
        {
            return [.. seen];
        }
    }

    private void MarkDirty(string key)
    {
        lock (dirty)
        {
            if (dirty.Add(key) && dirty.Count == 1)
            {
                changed.Release();
            }
        }
    }

    private void Apply(WatchEventType type, BlueGreenDeployment item)
    {
        var key = DashboardView.Key(item);
        if (type == WatchEventType.Deleted)
        {
            Forget(key);
            return;
        }

        objects[key] = item;
        RecordPhase(key, item.Status?.Phase);
        MarkDirty(key);
    }

    /// <summary>An object deleted (seen by the watch, or missing from a relist): its row, Events and phases go.</summary>
    private void Forget(string key)
    {
        objects.TryRemove(key, out _);
        events.TryRemove(key, out _);
        phases.TryRemove(key, out _);
        MarkDirty(key);
    }

    private void RecordPhase(string key, string? phase)
    {
        if (string.IsNullOrEmpty(phase))
        {
            return;
        }

        var seen = phases.GetOrAdd(key, _ => []);
        lock (seen)
        {
            if (seen.Count > 0 && seen[^1].Phase == phase)
            {
                return;
            }

            seen.Add(new PhaseSeen(phase, clock.GetUtcNow().UtcDateTime));
            if (seen.Count > PhaseHistoryLimit)
            {
                seen.RemoveAt(0);
            }
        }
    }

    private void Apply(WatchEventType type, Corev1Event recorded)
    {
        if (recorded.InvolvedObject is not { Kind: WellKnown.Kind } about)
        {
            return;
        }

        var key = DashboardView.Key(about.NamespaceProperty ?? recorded.Metadata.NamespaceProperty, about.Name);
        var byName = events.GetOrAdd(key, _ => new ConcurrentDictionary<string, Corev1Event>(StringComparer.Ordinal));
        if (type == WatchEventType.Deleted)
        {
            byName.TryRemove(recorded.Metadata.Name, out _);
        }
        else
        {
            byName[recorded.Metadata.Name] = recorded;
            if (byName.Count > EventsPerObject * 2)
            {
                foreach (var old in byName.Values.OrderBy(Rendering.StatusView.LastSeen).Take(byName.Count - EventsPerObject))
                {
                    byName.TryRemove(old.Metadata.Name, out _);
                }
            }
        }

        MarkDirty(key);
    }

    private async Task<(IList<BlueGreenDeployment> Items, string ResourceVersion)> ListObjectsAsync(CancellationToken cancellationToken)
    {
        var list = await api.ListAsync(ns, cancellationToken);
        return (list.Items, list.Metadata.ResourceVersion);
    }

    private async IAsyncEnumerable<(WatchEventType, BlueGreenDeployment)> WatchObjects(string resourceVersion, Action<Exception> onError, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var stream = ns is null
            ? client.CustomObjects.WatchListClusterCustomObjectAsync(WellKnown.Group, WellKnown.Version, WellKnown.Plural,
                allowWatchBookmarks: true, resourceVersion: resourceVersion, onError: onError, cancellationToken: cancellationToken)
            : client.CustomObjects.WatchListNamespacedCustomObjectAsync(WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural,
                allowWatchBookmarks: true, resourceVersion: resourceVersion, onError: onError, cancellationToken: cancellationToken);
        await foreach (var (type, raw) in stream.WithCancellation(cancellationToken))
        {
            yield return (type, BlueGreenApi.FromWatch(raw));
        }
    }

    private const string EventSelector = "involvedObject.kind=" + WellKnown.Kind;

    private async Task<(IList<Corev1Event> Items, string ResourceVersion)> ListEventsAsync(CancellationToken cancellationToken)
    {
        var list = ns is null
            ? await client.CoreV1.ListEventForAllNamespacesAsync(fieldSelector: EventSelector, cancellationToken: cancellationToken)
            : await client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: EventSelector, cancellationToken: cancellationToken);
        return (list.Items, list.Metadata.ResourceVersion);
    }

    private IAsyncEnumerable<(WatchEventType, Corev1Event)> WatchEvents(string resourceVersion, Action<Exception> onError, CancellationToken cancellationToken) =>
        ns is null
            ? client.CoreV1.WatchListEventForAllNamespacesAsync(fieldSelector: EventSelector, resourceVersion: resourceVersion,
                allowWatchBookmarks: true, onError: onError, cancellationToken: cancellationToken)
            : client.CoreV1.WatchListNamespacedEventAsync(ns, fieldSelector: EventSelector, resourceVersion: resourceVersion,
                allowWatchBookmarks: true, onError: onError, cancellationToken: cancellationToken);

    /// <summary>List, then watch from the list's resourceVersion; relist after the watch ends or fails; report failures to the page.</summary>
    private async Task FollowAsync<T>(
        string what,
        Func<CancellationToken, Task<(IList<T> Items, string ResourceVersion)>> list,
        Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch,
        Action<WatchEventType, T> apply,
        CancellationToken cancellationToken)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var (items, resourceVersion) = await list(cancellationToken);
                var listed = items.Select(i => i.Metadata.NamespaceProperty + "/" + i.Metadata.Name).ToHashSet(StringComparer.Ordinal);
                foreach (var item in items)
                {
                    apply(WatchEventType.Modified, item);
                }

                known.RemoveWhere(listed.Contains);
                ForgetVanished(what, known);
                known = listed;
                ProblemSolved(what);
                Exception? failure = null;
                await foreach (var (type, item) in watch(resourceVersion, e => failure = e, cancellationToken))
                {
                    if (type == WatchEventType.Error)
                    {
                        break;
                    }

                    if (type == WatchEventType.Bookmark)
                    {
                        continue;
                    }

                    var key = item.Metadata.NamespaceProperty + "/" + item.Metadata.Name;
                    if (type == WatchEventType.Deleted)
                    {
                        known.Remove(key);
                    }
                    else
                    {
                        known.Add(key);
                    }

                    apply(type, item);
                }

                if (failure is not null && !cancellationToken.IsCancellationRequested)
                {
                    throw failure;
                }
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                problems[what] = $"cannot follow {what}: {ApiFailures.Describe(e, server).Message}";
                MarkDirty("");
                await Task.Delay(RetryDelay, clock, cancellationToken);
            }
        }
    }

    /// <summary>Objects that were known before a relist and are not listed any more were deleted while no watch ran.</summary>
    private void ForgetVanished(string what, HashSet<string> vanished)
    {
        if (what != ObjectFeed)
        {
            return;
        }

        foreach (var key in vanished)
        {
            Forget(key);
        }
    }

    private void ProblemSolved(string what)
    {
        if (problems.TryRemove(what, out _))
        {
            MarkDirty("");
        }
    }
}
