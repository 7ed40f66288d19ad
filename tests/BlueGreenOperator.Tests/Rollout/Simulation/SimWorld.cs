using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Reconciliation;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Runtime;
using k8s.Models;

namespace BlueGreenOperator.Tests.Rollout.Simulation;

/// <summary>The simulation's clock: whole seconds from a fixed start.</summary>
internal sealed class SimClock : TimeProvider
{
    public static readonly DateTimeOffset Start = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    public int Tick { get; set; }

    public override DateTimeOffset GetUtcNow() => Start.AddSeconds(Tick);
}

/// <summary>A pod: made from one template (its key), ready from a tick on, or never.</summary>
internal sealed class SimPod(int id, string templateKey, string revision, int readyAt)
{
    public string Name { get; } = $"pod-{id}";
    public string TemplateKey { get; } = templateKey;
    public string Hash => "h-" + TemplateKey;
    public string Revision { get; } = revision;
    public int ReadyAt { get; set; } = readyAt;
    public int UnreadyUntil { get; set; }

    /// <summary>The scheduler's reason why the pod has no node, while capacity is short.</summary>
    public string? Unschedulable { get; set; }
}

/// <summary>A colour's Deployment: its live template (a key), what the operator's annotation says it wrote, size, pods.</summary>
internal sealed class SimDeployment(Color color)
{
    public Color Color { get; } = color;
    public string Revision { get; set; } = "";
    public string ModelVersion { get; set; } = "";
    public string TemplateKey { get; set; } = "";
    public string AnnotatedKey { get; set; } = "";
    public bool LabelsIntact { get; set; } = true;
    public bool StandbyPlacement { get; set; }
    public int Desired { get; set; }
    public long Generation { get; set; } = 1;
    public long ObservedGeneration { get; set; }
    public long ResourceVersion { get; set; }
    public List<SimPod> Pods { get; } = [];
}

internal sealed class SimService
{
    public Dictionary<string, string> Selector { get; set; } = [];
    public bool PortsOk { get; set; } = true;
    public long ResourceVersion { get; set; }
    public bool WrittenByOperator { get; set; }
}

/// <summary>What a write meets in the simulated API server.</summary>
internal enum Fault
{
    None,
    Conflict,
    Refused,
    ServerError,
    LostResponse,
}

/// <summary>A write the API server applied whose response never came back (a timeout, a dropped connection).</summary>
internal sealed class LostResponseException(string what) : Exception($"{what}: the response was lost");

/// <summary>
/// The simulated cluster: one BlueGreenDeployment, its two Deployments with their pods, the two Services and the
/// recorded templates, with a Deployment controller and kubelet that move in ticks (seconds), and an API server that
/// checks preconditions and can fail writes as the run decides. The real reconciler reads and writes it through
/// <see cref="View"/>s: the operator's (caches as fresh as the world) or a stale writer's (a snapshot).
/// </summary>
internal sealed class SimWorld
{
    readonly Random _random;
    long _resourceVersion = 100;
    int _nextPod;

    public SimWorld(Random random, BlueGreenDeployment resource)
    {
        _random = random;
        Object = resource;
        Object.Metadata.ResourceVersion = NextVersion();
    }

    public int Now
    {
        get => Clock.Tick;
        set => Clock.Tick = value;
    }

    public SimClock Clock { get; } = new();
    public BlueGreenDeployment Object { get; private set; }
    public bool Undecodable { get; set; }
    public Dictionary<Color, SimDeployment> Deployments { get; } = [];
    public SimService? Active { get; set; }
    public SimService? Preview { get; set; }
    public HashSet<string> Templates { get; } = new(StringComparer.Ordinal);

    /// <summary>Per model version: how its pods behave.</summary>
    public Dictionary<string, Trait> Traits { get; } = [];

    /// <summary>Templates (pod-template-hashes) that passed a whole smoke run: the ground truth of "tested".</summary>
    public HashSet<string> PassedHashes { get; } = new(StringComparer.Ordinal);

    /// <summary>Revisions whose abort or rollback was recorded, until a spec change or retry releases them.</summary>
    public HashSet<string> Condemned { get; } = new(StringComparer.Ordinal);

    /// <summary>Decides the fault each write meets; None unless the run injects one.</summary>
    public Func<string, Fault> NextFault { get; set; } = _ => Fault.None;

    /// <summary>Creates and scale-ups of Deployments are refused (a quota is exhausted) until this tick.</summary>
    public int QuotaUntil { get; set; } = -1;

    /// <summary>New pods cannot be scheduled (no free accelerator) until this tick.</summary>
    public int CapacityShortUntil { get; set; } = -1;

    public Action<string>? Violation { get; set; }
    public List<string> Log { get; } = [];
    public Dictionary<string, int> EventReasons { get; } = [];
    public int Writes { get; private set; }
    public int SelectorWrites { get; private set; }
    public int Switches { get; private set; }

    public string NextVersion() => (++_resourceVersion).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public string Revision => RevisionHash.Compute(Object.Spec);

    public bool IsReady(SimPod pod) => pod.Unschedulable is null && pod.ReadyAt <= Now && pod.UnreadyUntil <= Now;

    /// <summary>Replaces the object (a client's write): a new instance, so that views holding the old one stay as they were.</summary>
    public void Replace(Func<BlueGreenDeployment, BlueGreenDeployment> change)
    {
        var next = change(Copy(Object));
        next.Metadata.ResourceVersion = NextVersion();
        Object = next;
    }

    public static BlueGreenDeployment Copy(BlueGreenDeployment resource) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = resource.Metadata.Name,
            NamespaceProperty = resource.Metadata.NamespaceProperty,
            Uid = resource.Metadata.Uid,
            Generation = resource.Metadata.Generation,
            ResourceVersion = resource.Metadata.ResourceVersion,
            Annotations = resource.Metadata.Annotations is null ? null : new Dictionary<string, string>(resource.Metadata.Annotations),
        },
        Spec = resource.Spec,
        Status = resource.Status,
    };

    /// <summary>Pods the active Service selects (ready or not).</summary>
    public IEnumerable<SimPod> Selected(SimService? service)
    {
        if (service is null || !service.Selector.TryGetValue(WellKnown.ColorLabel, out var label) || ColorNames.Parse(label) is not { } color
            || !Deployments.TryGetValue(color, out var deployment) || service.Selector.Count == 0)
        {
            return [];
        }

        var hash = service.Selector.TryGetValue(WellKnown.PodTemplateHashLabel, out var h) ? h : null;
        var instanceOk = service.Selector.TryGetValue(WellKnown.InstanceLabel, out var instance) && instance == Object.Metadata.Name;
        return instanceOk ? deployment.Pods.Where(p => hash is null || p.Hash == hash) : [];
    }

    public int ServingPods => Selected(Active).Count(IsReady);

    /// <summary>The Deployment controller and the kubelet for one tick: rolling updates with surge, readiness.</summary>
    public void Advance()
    {
        foreach (var d in Deployments.Values)
        {
            if (d.ObservedGeneration < d.Generation && _random.NextDouble() < 0.7)
                d.ObservedGeneration = d.Generation;
            if (d.ObservedGeneration < d.Generation)
                continue;
            var surge = Math.Max(1, (int)Math.Ceiling(d.Desired * 0.25));
            var unavailable = (int)Math.Floor(d.Desired * 0.25);
            var current = d.Pods.Where(p => p.TemplateKey == d.TemplateKey).ToList();
            var old = d.Pods.Where(p => p.TemplateKey != d.TemplateKey).ToList();
            while (current.Count > d.Desired)
            {
                var gone = current.OrderBy(IsReady).ThenByDescending(p => p.ReadyAt).First();
                current.Remove(gone);
                d.Pods.Remove(gone);
            }

            while (current.Count < d.Desired && current.Count + old.Count < d.Desired + surge)
            {
                var trait = TraitOf(d.TemplateKey, d.ModelVersion);
                var pod = new SimPod(++_nextPod, d.TemplateKey, d.Revision, trait == Trait.NeverReady ? int.MaxValue : Now + _random.Next(1, 12));
                if (Now < CapacityShortUntil)
                    pod.Unschedulable = "0/1 nodes are available: 1 Insufficient nvidia.com/gpu.";
                current.Add(pod);
                d.Pods.Add(pod);
            }

            foreach (var waiting in d.Pods.Where(p => p.Unschedulable is not null && Now >= CapacityShortUntil))
            {
                waiting.Unschedulable = null;
                // A pod that was never going to be ready stays so; the others start their way to ready on their node now.
                if (waiting.ReadyAt != int.MaxValue)
                    waiting.ReadyAt = Math.Max(waiting.ReadyAt, Now + _random.Next(1, 12));
            }

            // Old pods go as new ones become ready, keeping at least desired - maxUnavailable ready.
            foreach (var pod in old.OrderBy(IsReady).ToList())
            {
                var ready = d.Pods.Count(IsReady);
                if (IsReady(pod) && ready - 1 < d.Desired - unavailable && current.Count(IsReady) < d.Desired)
                    break;
                d.Pods.Remove(pod);
            }
        }
    }

    public Trait TraitOf(string templateKey, string modelVersion) =>
        templateKey.StartsWith("hand", StringComparison.Ordinal) ? Trait.HandEdited
        : Traits.TryGetValue(modelVersion, out var trait) ? trait : Trait.Good;

    public ObservedWorld Observe() => new(
        Observe(Color.Blue), Observe(Color.Green),
        Observe(Active), Observe(Preview),
        [.. Deployments.Values.SelectMany(d => d.Pods.Select(p => new ObservedPod(p.Name, d.Color, p.Revision, p.Hash, IsReady(p), p.Unschedulable)))],
        Templates.ToHashSet(StringComparer.Ordinal),
        null);

    ObservedDeployment? Observe(Color color)
    {
        if (!Deployments.TryGetValue(color, out var d))
            return null;
        var current = d.Pods.Where(p => p.TemplateKey == d.TemplateKey).ToList();
        return new ObservedDeployment(color, d.Revision, d.ModelVersion, d.Desired, d.Generation, d.ObservedGeneration,
            d.Pods.Count, current.Count, d.Pods.Count(IsReady), d.TemplateKey == d.AnnotatedKey && d.LabelsIntact, d.StandbyPlacement && d.TemplateKey == d.AnnotatedKey);
    }

    ObservedService? Observe(SimService? service) => service is null
        ? null
        : new ObservedService("svc", new Dictionary<string, string>(service.Selector),
            service.PortsOk ? [.. Object.Spec.Service.Ports] : [new ServicePortSpec { Name = "edited", Port = 1, TargetPort = 1 }]);

    public IReadOnlyList<CheckTarget> Targets(Color color, string revision) =>
        Deployments.TryGetValue(color, out var d)
            ? [.. d.Pods.Where(p => p.Revision == revision && IsReady(p)).OrderBy(p => p.Name, StringComparer.Ordinal).Select(p => new CheckTarget(p.Name, "10.0.0.1", p.Hash))]
            : [];

    public SimPod? FindPod(string name) => Deployments.Values.SelectMany(d => d.Pods).FirstOrDefault(p => p.Name == name);

    /// <summary>A deep copy of the workloads, for a stale writer's view.</summary>
    public WorldSnapshot Snapshot() => new(
        Object,
        Observe(),
        Deployments.ToDictionary(d => d.Key, d => d.Value.ResourceVersion),
        Active?.ResourceVersion,
        Preview?.ResourceVersion);

    // ---- The API server's side of the operator's writes ----

    void Meet(string what)
    {
        Writes++;
        var fault = NextFault(what);
        if (fault != Fault.None)
            Log.Add($"{Now}: {fault} injected on {what}");
        switch (fault)
        {
            case Fault.Conflict:
                throw new WriteConflictException($"{what}: injected conflict");
            case Fault.Refused:
                throw new WriteRefusedException(422, "Invalid", $"{what}: refused by an admission webhook (injected)");
            case Fault.ServerError:
                throw new WriteRefusedException(500, "InternalError", $"{what}: etcdserver: request timed out (injected)");
        }
    }

    // A response lost after the write took effect: decided after the write, so that it is applied first.
    void MaybeLose(string what)
    {
        if (NextFault(what + " response") == Fault.LostResponse)
            throw new LostResponseException(what);
    }

    Exception? Refuse(string what)
    {
        Log.Add($"{Now}: quota refused {what}");
        return null;
    }

    public BlueGreenDeployment WriteStatus(BlueGreenDeployment seen, BlueGreenDeploymentStatus status)
    {
        Meet("status");
        if (Undecodable)
            throw new WriteRefusedException(422, "Invalid", "status: the object does not decode");
        if (seen.Metadata.ResourceVersion != Object.Metadata.ResourceVersion)
            throw new WriteConflictException("status: the object has been modified");
        var before = Object.Status;
        var retried = Object.Metadata.Annotations is { } annotations && annotations.TryGetValue(WellKnown.ActionAnnotation, out var action) && action == RolloutAction.Retry;
        Replace(o =>
        {
            o.Status = status;
            return o;
        });
        Log.Add($"{Now}: status {status.Phase}: {status.Message}");
        if (status.AbortedRevision is { } aborted && before?.AbortedRevision != aborted)
        {
            Condemned.Add(aborted);
            Log.Add($"{Now}: condemned {aborted}");
        }

        if (before?.AbortedRevision is { } released && status.AbortedRevision != released && retried)
            Condemned.Remove(released);

        MaybeLose("status");
        return Object;
    }

    public void RemoveAction(string value)
    {
        Meet("annotation");
        if (Object.Metadata.Annotations?.TryGetValue(WellKnown.ActionAnnotation, out var current) != true || current != value)
            throw new WriteRefusedException(422, "Invalid", "the test operation failed: the annotation changed");
        Replace(o =>
        {
            o.Metadata.Annotations!.Remove(WellKnown.ActionAnnotation);
            return o;
        });
        MaybeLose("annotation");
    }

    public void Execute(BlueGreenDeployment seen, RolloutStep step, WorldSnapshot? view, IReadOnlySet<string> remembered)
    {
        var what = step.ToString();
        Meet(what);
        switch (step)
        {
            case ApplyDeployment apply:
                Apply(seen, apply, view, remembered);
                break;
            case ScaleDeployment scale:
                Scale(scale, view);
                break;
            case PointService point:
                Point(point, view);
                break;
            case RecordTemplate record:
                if (remembered.Contains(record.Revision)
                    || Deployments.TryGetValue(record.Color, out var source) && source.Revision == record.Revision && source.TemplateKey == source.AnnotatedKey)
                {
                    Templates.Add(record.Revision);
                }

                break;
            case PruneTemplates prune:
                foreach (var revision in prune.Revisions)
                    Templates.Remove(revision);
                break;
        }

        Log.Add($"{Now}: {(view is null ? "" : "STALE ")}{step}");
        MaybeLose(what);
    }

    void Apply(BlueGreenDeployment seen, ApplyDeployment apply, WorldSnapshot? view, IReadOnlySet<string> remembered)
    {
        if (apply.Revision == RevisionHash.Compute(seen.Spec))
            Templates.Add(apply.Revision);
        else if (!Templates.Contains(apply.Revision) && !remembered.Contains(apply.Revision))
            throw new WriteRefusedException(404, "TemplateNotKept", $"the template of revision {apply.Revision} is not kept");

        var exists = Deployments.TryGetValue(apply.Color, out var d);
        if (exists && view is not null && view.DeploymentVersions.TryGetValue(apply.Color, out var seenVersion) && seenVersion != d!.ResourceVersion)
            throw new WriteConflictException("Deployment changed since it was read");
        if (!exists && view is not null && view.DeploymentVersions.ContainsKey(apply.Color))
            throw new WriteConflictException("Deployment is gone");
        if (Now < QuotaUntil && (!exists || apply.Replicas > d!.Desired))
            throw Refuse("apply") ?? new WriteRefusedException(403, "Forbidden", "exceeded quota: pods (injected)");
        CheckCapacityWrite(apply.Color, apply.Replicas, apply.Revision);
        if (!exists)
            Deployments[apply.Color] = d = new SimDeployment(apply.Color);
        // The standby's placement is another template of the same revision (its pods get another pod-template-hash).
        var key = apply.Standby ? apply.Revision + "~placed" : apply.Revision;
        var changed = !exists || d!.TemplateKey != key || d.Desired != apply.Replicas || !d.LabelsIntact || d.Revision != apply.Revision;
        d!.Revision = apply.Revision;
        d.ModelVersion = apply.ModelVersion;
        d.TemplateKey = key;
        d.AnnotatedKey = key;
        d.StandbyPlacement = apply.Standby;
        d.LabelsIntact = true;
        d.Desired = apply.Replicas;
        if (changed)
            d.Generation++;
        d.ResourceVersion = long.Parse(NextVersion(), System.Globalization.CultureInfo.InvariantCulture);
    }

    void Scale(ScaleDeployment scale, WorldSnapshot? view)
    {
        if (!Deployments.TryGetValue(scale.Color, out var d))
            throw new WriteConflictException("Deployment is gone");
        if (view is not null && (!view.DeploymentVersions.TryGetValue(scale.Color, out var seenVersion) || seenVersion != d.ResourceVersion))
            throw new WriteConflictException("Deployment changed since it was read");
        if (Now < QuotaUntil && scale.Replicas > d.Desired)
            throw Refuse("scale") ?? new WriteRefusedException(403, "Forbidden", "exceeded quota: pods (injected)");
        CheckCapacityWrite(scale.Color, scale.Replicas, d.Revision);
        if (d.Desired != scale.Replicas)
        {
            d.Desired = scale.Replicas;
            d.Generation++;
        }

        d.ResourceVersion = long.Parse(NextVersion(), System.Globalization.CultureInfo.InvariantCulture);
    }

    void Point(PointService point, WorldSnapshot? view)
    {
        var existing = point.Role == ServiceRole.Active ? Active : Preview;
        var seenVersion = view is null ? existing?.ResourceVersion : point.Role == ServiceRole.Active ? view.ActiveVersion : view.PreviewVersion;
        if (existing is null && seenVersion is not null)
            throw new WriteConflictException("Service is gone");
        if (existing is not null && seenVersion != existing.ResourceVersion)
            throw new WriteConflictException(existing is null ? "" : "Service changed since it was read");

        var selector = new Dictionary<string, string> { [WellKnown.InstanceLabel] = Object.Metadata.Name, [WellKnown.ColorLabel] = point.Color.Label() };
        if (point.PodTemplateHash is not null)
            selector[WellKnown.PodTemplateHashLabel] = point.PodTemplateHash;
        var service = existing ?? new SimService();
        if (point.Role == ServiceRole.Active)
        {
            CheckSelectorWrite(service, selector);
            if (service.Selector.GetValueOrDefault(WellKnown.ColorLabel) != point.Color.Label())
                Switches++;
            SelectorWrites++;
            Active = service;
        }
        else
        {
            Preview = service;
        }

        service.Selector = selector;
        service.PortsOk = true;
        service.WrittenByOperator = true;
        service.ResourceVersion = long.Parse(NextVersion(), System.Globalization.CultureInfo.InvariantCulture);
    }

    // I2, I7, I1 at the moment the operator points the active Service somewhere.
    void CheckSelectorWrite(SimService current, Dictionary<string, string> selector)
    {
        var target = Selected(new SimService { Selector = selector }).ToList();
        var untested = target.Where(p => !PassedHashes.Contains(p.Hash)).ToList();
        if (untested.Count > 0)
            Violation?.Invoke($"I2: the operator pointed the active Service at {untested.Count} pods of a template that never passed its checks ({untested[0].Hash})");
        var condemned = target.Where(p => Condemned.Contains(p.Revision)).ToList();
        if (condemned.Count > 0)
            Violation?.Invoke($"I7: the operator pointed the active Service at revision {condemned[0].Revision}, which was aborted or rolled back");
        // Moving away from untested or judged pods is right even onto none (promise 1 before promise 2), also from a
        // selection whose untested pods are not ready yet: they take traffic as soon as they are.
        var selected = Selected(current).ToList();
        var onlyTested = selected.All(p => PassedHashes.Contains(p.Hash) && !Condemned.Contains(p.Revision));
        if (onlyTested && selected.Any(IsReady) && target.Count(IsReady) == 0)
            Violation?.Invoke("I1: the operator moved the active Service from ready tested pods to none");
    }

    // I8 and I7 at the moment the operator sizes a colour.
    void CheckCapacityWrite(Color color, int replicas, string revision)
    {
        var servingColor = Active?.Selector.GetValueOrDefault(WellKnown.ColorLabel);
        if (servingColor == color.Label() && Active is { WrittenByOperator: true } && Selected(Active).Any(IsReady) && replicas < Object.Spec.Replicas)
            Violation?.Invoke($"I8: the operator scaled the serving colour {color.Label()} to {replicas} < {Object.Spec.Replicas}");
        var currentRevision = Deployments.TryGetValue(color, out var d) ? d.Revision : null;
        if (replicas > 0 && Condemned.Contains(revision) && Object.Status?.ActiveRevision != revision
            && (currentRevision != revision || (d?.Desired ?? 0) < replicas))
            Violation?.Invoke($"I7: the operator scaled up revision {revision} on {color.Label()}, which was aborted or rolled back");
    }
}

/// <summary>What a stale writer saw: the object and the workloads as they were, with their resourceVersions.</summary>
internal sealed record WorldSnapshot(
    BlueGreenDeployment Object,
    ObservedWorld World,
    Dictionary<Color, long> DeploymentVersions,
    long? ActiveVersion,
    long? PreviewVersion);

internal enum Trait
{
    Good,
    FailsSmokeTests,
    NeverReady,
    FailsAnalysis,
    Flaky,
    HandEdited,
}

/// <summary>
/// How a reconciler sees the simulated cluster. The operator's view reads the world as it is (its caches hold its
/// own writes at once), except that the object may lag behind (a watch event not delivered yet) until it is read
/// live or written. A stale writer's view reads a snapshot taken earlier, writes with the snapshot's versions as
/// preconditions, and reads the object live when it confirms a decision.
/// </summary>
internal sealed class View(SimWorld world, WorldSnapshot? snapshot) : IClusterState, IClusterWrites
{
    BlueGreenDeployment? _stale = snapshot?.Object;

    /// <summary>The object this view returns until it is read live or written: an older version of it.</summary>
    public void Lag(BlueGreenDeployment? older) => _stale = older;

    public BlueGreenDeployment? Resource(ObjectKey key) => world.Undecodable ? null : _stale ?? world.Object;

    public Task<BlueGreenDeployment?> ReadFreshAsync(ObjectKey key, CancellationToken ct)
    {
        _stale = null;
        return Task.FromResult(world.Undecodable ? null : world.Object);
    }

    // What this process remembers of kept templates, even after their records are deleted; lost in a crash.
    readonly HashSet<string> _remembered = new(StringComparer.Ordinal);

    public ObservedWorld Observe(BlueGreenDeployment resource)
    {
        var observed = snapshot?.World ?? world.Observe();
        _remembered.UnionWith(observed.Templates);
        return observed with { RememberedTemplates = _remembered.Except(observed.Templates).ToHashSet(StringComparer.Ordinal) };
    }

    public void Forget(string uid) => _remembered.Clear();

    public IReadOnlyList<CheckTarget> CheckTargets(BlueGreenDeployment resource, Color color, string revision) => world.Targets(color, revision);

    public Task<bool> IsForeignAsync(BlueGreenDeployment resource, NameConflictException conflict, CancellationToken ct) => Task.FromResult(false);

    public Task<NameConflictException?> FindForeignAsync(BlueGreenDeployment resource, CancellationToken ct) => Task.FromResult<NameConflictException?>(null);

    public Task<BlueGreenDeployment> WriteStatusAsync(BlueGreenDeployment resource, BlueGreenDeploymentStatus status)
    {
        var written = world.WriteStatus(resource, status);
        _stale = null;
        return Task.FromResult(written);
    }

    public Task RemoveActionAsync(BlueGreenDeployment resource, string value)
    {
        world.RemoveAction(value);
        return Task.CompletedTask;
    }

    public Task ExecuteAsync(BlueGreenDeployment resource, RolloutStep step)
    {
        world.Execute(resource, step, snapshot, _remembered);
        if (step is PruneTemplates prune)
            _remembered.ExceptWith(prune.Revisions);
        return Task.CompletedTask;
    }

    public Task RecordEventAsync(BlueGreenDeployment resource, RolloutEvent rolloutEvent)
    {
        world.EventReasons[rolloutEvent.Reason] = world.EventReasons.GetValueOrDefault(rolloutEvent.Reason) + 1;
        return Task.CompletedTask;
    }
}
