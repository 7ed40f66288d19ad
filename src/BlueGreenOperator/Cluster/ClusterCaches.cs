using BlueGreenOperator.Api;
using BlueGreenOperator.Runtime;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Cluster;

/// <summary>
/// The informers' caches of one kind, over every watched namespace, with an index by the owning object's name (the
/// instance label) for the kinds an object has many of (pods, recorded templates).
/// </summary>
internal sealed class KindCache<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    readonly List<(string? Namespace, Informer<T> Informer)> _scopes = [];
    readonly object _gate = new();
    readonly Dictionary<(string Namespace, string Instance), Dictionary<string, T>> _byInstance = [];

    readonly List<Action<InformerEvent<T>>> _subscribers = [];

    public void Add(string? ns, Informer<T> informer)
    {
        _scopes.Add((ns, informer));
        informer.Subscribe(Index);
        informer.Subscribe(change =>
        {
            foreach (var subscriber in _subscribers)
                subscriber(change);
        });
    }

    /// <summary>Told of every change of every informer added, before or after.</summary>
    public void Subscribe(Action<InformerEvent<T>> handler) => _subscribers.Add(handler);

    /// <summary>Every cached object of every watched namespace.</summary>
    public IReadOnlyList<T> All() => [.. _scopes.SelectMany(s => s.Informer.List())];

    public T? Get(string ns, string name) =>
        For(ns) is { } informer && informer.TryGet(new ObjectKey(ns, name), out var value) ? value : default;

    public void Upsert(T written) => For(written.Metadata.NamespaceProperty)?.Upsert(written);

    public void Forget(string ns, string name) => For(ns)?.Forget(new ObjectKey(ns, name));

    public IReadOnlyList<T> ByInstance(string ns, string instance)
    {
        lock (_gate)
            return _byInstance.TryGetValue((ns, instance), out var objects) ? [.. objects.Values] : [];
    }

    Informer<T>? For(string ns) => _scopes.FirstOrDefault(s => s.Namespace == ns || s.Namespace is null).Informer;

    void Index(InformerEvent<T> change)
    {
        var metadata = change.Object.Metadata;
        if (metadata.Labels is not { } labels || !labels.TryGetValue(WellKnown.InstanceLabel, out var instance))
            return;
        var key = (metadata.NamespaceProperty ?? "", instance);
        lock (_gate)
        {
            if (change.Type == InformerEventType.Deleted)
            {
                if (_byInstance.TryGetValue(key, out var objects) && objects.Remove(metadata.Name) && objects.Count == 0)
                    _byInstance.Remove(key);
                return;
            }

            if (!_byInstance.TryGetValue(key, out var existing))
                _byInstance[key] = existing = new Dictionary<string, T>(StringComparer.Ordinal);
            existing[metadata.Name] = change.Object;
        }
    }
}

/// <summary>
/// The pod templates of the revisions this process has seen kept, remembered even after their ControllerRevision is
/// deleted by hand, so that the good colour can still be written again (and its record made again).
/// </summary>
internal sealed class TemplateMemory
{
    readonly System.Collections.Concurrent.ConcurrentDictionary<(string Uid, string Revision), RecordedTemplate> _templates = new();

    public void Watch(KindCache<V1ControllerRevision> templates) => templates.Subscribe(change =>
    {
        if (change.Type != InformerEventType.Deleted && Owner(change.Object) is { } key)
            _templates[key] = RecordedTemplate.Read(change.Object);
    });

    public RecordedTemplate? Get(string uid, string revision) => _templates.TryGetValue((uid, revision), out var template) ? template : null;

    public IReadOnlySet<string> Revisions(string uid) =>
        _templates.Keys.Where(k => k.Uid == uid).Select(k => k.Revision).ToHashSet(StringComparer.Ordinal);

    /// <summary>A template the operator itself deleted (no longer needed), or every template of a deleted object.</summary>
    public void Forget(string uid, string? revision = null)
    {
        foreach (var key in _templates.Keys.Where(k => k.Uid == uid && (revision is null || k.Revision == revision)))
            _templates.TryRemove(key, out _);
    }

    static (string, string)? Owner(V1ControllerRevision revision) =>
        revision.Metadata.OwnerReferences?.FirstOrDefault(o => o.Kind == WellKnown.Kind)?.Uid is { } uid
        && revision.Metadata.Labels?.TryGetValue(WellKnown.RevisionLabel, out var hash) == true
            ? (uid, hash)
            : null;
}

/// <summary>Every cache a reconcile reads.</summary>
internal sealed class ClusterCaches
{
    public ClusterCaches() => Memory.Watch(Templates);

    public TemplateMemory Memory { get; } = new();

    public KindCache<BlueGreenDeployment> Resources { get; } = new();

    public KindCache<V1Deployment> Deployments { get; } = new();

    public KindCache<V1Service> Services { get; } = new();

    public KindCache<V1Pod> Pods { get; } = new();

    public KindCache<V1ControllerRevision> Templates { get; } = new();
}
