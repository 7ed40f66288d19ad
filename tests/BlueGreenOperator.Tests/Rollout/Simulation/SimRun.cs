using BlueGreenOperator.Api;
using BlueGreenOperator.Reconciliation;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Runtime;
using FluentAssertions;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Rollout.Simulation;

/// <summary>
/// One seeded run of the adversarial model-based test: the real reconciler, check coordinator and planner against
/// the simulated cluster, while the run releases versions, sends actions, deletes and edits owned objects by hand,
/// fails and loses writes, lags the operator's view, lets a stale second writer act, makes the object undecodable,
/// turns pods unready and crashes the operator. The invariants are checked at every write and every tick; once the
/// disturbances stop, the run must converge to the state the spec asks for.
/// </summary>
internal sealed class SimRun
{
    public const int ChaosTicks = 300;
    const int DrainTicks = 3000;
    const int RecoveryTicks = 90;

    readonly Random _random;
    readonly SimWorld _world;
    readonly SimChecks _checks;
    readonly ObjectKey _key = new("ml", "fraud-model");
    readonly List<BlueGreenDeployment> _history = [];
    readonly List<(int At, WorldSnapshot Snapshot)> _staleWriters = [];
    Operator _operator;
    int _versions;
    int _lastDisturbance = -RecoveryTicks;
    int _undecodableUntil = -1;
    int _handEdits;
    bool _served;
    string? _violation;

    public SimRun(int seed)
    {
        Seed = seed;
        _random = new Random(seed);
        var replicas = _random.Next(1, 5);
        var resource = Given.Resource("v0", spec =>
        {
            spec.Replicas = replicas;
            spec.Strategy = new StrategySpec
            {
                AutoPromote = _random.NextDouble() < 0.7,
                PreviewReplicas = _random.NextDouble() < 0.5 ? _random.Next(1, replicas + 1) : null,
                StandbyReplicas = _random.Next(0, replicas + 1),
                ScaleDownDelaySeconds = _random.Next(0, 20),
                StabilizationSeconds = _random.Next(0, 60),
                ProgressDeadlineSeconds = _random.Next(30, 90),
                OnInsufficientCapacity = _random.NextDouble() < 0.3 ? CapacityPolicy.Abort : CapacityPolicy.Wait,
                InsufficientCapacitySeconds = _random.NextDouble() < 0.5 ? _random.Next(5, 40) : null,
                Standby = _random.NextDouble() < 0.3
                    ? new StandbyPlacementSpec { NodeSelector = new Dictionary<string, string> { ["capacity"] = "spot" } }
                    : null,
            };
            if (_random.NextDouble() < 0.6)
            {
                spec.Analysis = new AnalysisSpec
                {
                    IntervalSeconds = _random.Next(1, 6),
                    FailureLimit = _random.Next(1, 4),
                    Checks = [new CheckSpec { Name = "golden", Http = new HttpCheckSpec { Port = 8080 } }],
                };
            }
        });
        _world = new SimWorld(_random, resource) { Violation = Violate };
        _world.Traits["v0"] = NewTrait();
        _checks = new SimChecks(_world, _random);
        _operator = NewOperator();
    }

    public int Seed { get; }

    /// <summary>Logs every reconcile too (for replaying one seed).</summary>
    public bool Verbose { get; init; }
    public int Ticks { get; private set; }
    public int Reconciles { get; private set; }
    public int Crashes { get; private set; }
    public int TemplatesLost { get; private set; }
    public Dictionary<string, int> Injected { get; } = [];
    public SimWorld World => _world;
    public SimChecks Checks => _checks;

    public void Run()
    {
        try
        {
            RunTicks();
        }
        catch (Exception e) when (e is not AssertionException)
        {
            Fail($"{e.GetType().Name}: {e.Message}\n{e.StackTrace}");
        }
    }

    void RunTicks()
    {
        for (var now = 0; now < ChaosTicks + DrainTicks; now++)
        {
            _world.Now = now;
            Ticks++;
            var chaos = now < ChaosTicks;
            _world.NextFault = chaos ? InjectFault : _ => Fault.None;
            _world.Undecodable = now < _undecodableUntil;
            if (chaos)
                RandomEvent();
            else if (_world.Object.Status?.Phase == Phase.Paused && !HasAction())
                SetAction(RolloutAction.Promote);

            _checks.Advance();
            Reconcile(chaos);
            RunStaleWriters();
            _world.Advance();
            CheckInvariants();
            if (_violation is not null)
                Fail(_violation);
            if (!chaos && Converged())
            {
                AssertConverged();
                return;
            }
        }

        Fail("did not converge");
    }

    sealed class Operator(View view, CheckCoordinator checks, RolloutReconciler reconciler)
    {
        public View View { get; } = view;
        public CheckCoordinator Checks { get; } = checks;
        public RolloutReconciler Reconciler { get; } = reconciler;
        public bool Woken { get; set; }
        public string? Seen { get; set; }
        public int? RequeueAt { get; set; }
        public int Failures { get; set; }
    }

    Operator NewOperator(WorldSnapshot? snapshot = null)
    {
        var view = new View(_world, snapshot);
        Operator? created = null;
        var checks = new CheckCoordinator(_checks, 4, _ =>
        {
            if (created is not null)
                created.Woken = true;
        });
        var reconciler = new RolloutReconciler(view, view, checks, _world.Clock, NullLogger<RolloutReconciler>.Instance);
        created = new Operator(view, checks, reconciler);
        return created;
    }

    // The work queue: a reconcile when something it watches changed, its timer came, a check finished, or to retry.
    void Reconcile(bool chaos)
    {
        for (var round = 0; round < 10; round++)
        {
            var fingerprint = Fingerprint();
            var op = _operator;
            var due = op.Woken || fingerprint != op.Seen || (op.RequeueAt is { } at && _world.Now >= at);
            if (!due)
                return;
            op.Woken = false;
            op.Seen = fingerprint;
            op.RequeueAt = null;
            var lagged = chaos && _history.Count > 3 && _random.NextDouble() < 0.05;
            if (lagged)
            {
                Count("stale read of the object");
                op.View.Lag(_history[_random.Next(Math.Max(0, _history.Count - 5), _history.Count)]);
            }

            Reconciles++;
            try
            {
                var result = op.Reconciler.ReconcileAsync(_key, CancellationToken.None).GetAwaiter().GetResult();
                op.Failures = 0;
                if (result.RequeueDelay is { } delay)
                    op.RequeueAt = _world.Now + (int)Math.Ceiling(delay.TotalSeconds);
                if (Verbose)
                    Log($"reconciled: requeue {result.RequeueDelay}");
            }
            catch (LostResponseException)
            {
                // The runtime retries a failed reconcile with back-off.
                op.Failures++;
                op.RequeueAt = _world.Now + Math.Min(30, op.Failures > 2 ? 1 << (op.Failures - 2) : 0);
            }

            if (lagged)
            {
                // The watch event the cache lagged behind arrives: the cache catches up and the object is reconciled again.
                op.View.Lag(null);
                op.Seen = null;
            }

            if (_violation is not null)
                return;
            if (chaos && _random.NextDouble() < 0.03)
            {
                // The process dies: only the cluster remembers; check runs in flight never report.
                Crashes++;
                Count("operator crash");
                _checks.Abandon();
                op.Checks.Dispose();
                _operator = NewOperator();
                _world.Log.Add($"{_world.Now}: crash");
            }
        }
    }

    // A second writer that decided on an old view (a deposed leader whose caches lag) acts now: its writes carry the
    // versions it saw as preconditions, and it reads the object live before a decision that needs a fresh view.
    void RunStaleWriters()
    {
        foreach (var (at, snapshot) in _staleWriters.Where(w => w.At <= _world.Now).ToList())
        {
            _staleWriters.Remove((at, snapshot));
            var stale = NewOperator(snapshot);
            try
            {
                stale.Reconciler.ReconcileAsync(_key, CancellationToken.None).GetAwaiter().GetResult();
            }
            catch (LostResponseException)
            {
            }

            stale.Checks.Dispose();
        }
    }

    string Fingerprint() => string.Join("|",
        _world.Undecodable ? "undecodable" : _world.Object.Metadata.ResourceVersion,
        _world.Active?.ResourceVersion, _world.Preview?.ResourceVersion,
        string.Join(",", _world.Templates.Order(StringComparer.Ordinal)),
        string.Join(";", _world.Deployments.Values.Select(d =>
            $"{d.Color}:{d.ResourceVersion}:{d.Desired}:{d.ObservedGeneration}:{string.Join(",", d.Pods.Select(p => p.Name + (_world.IsReady(p) ? "+" : "-")))}")));

    Trait NewTrait()
    {
        var roll = _random.NextDouble();
        return roll < 0.5 ? Trait.Good : roll < 0.62 ? Trait.FailsSmokeTests : roll < 0.72 ? Trait.NeverReady : roll < 0.85 ? Trait.FailsAnalysis : Trait.Flaky;
    }

    Fault InjectFault(string what)
    {
        var roll = _random.NextDouble();
        var fault = what.EndsWith(" response", StringComparison.Ordinal)
            ? roll < 0.02 ? Fault.LostResponse : Fault.None
            : roll < 0.04 ? Fault.Conflict : roll < 0.06 ? Fault.Refused : roll < 0.07 ? Fault.ServerError : Fault.None;
        if (fault != Fault.None)
        {
            Count(fault switch
            {
                Fault.Conflict => "write conflict (409)",
                Fault.Refused => "write refused (422)",
                Fault.ServerError => "write failed (500)",
                _ => "write response lost",
            });
            Disturbed();
        }

        return fault;
    }

    void RandomEvent()
    {
        var roll = _random.NextDouble();
        var colors = _world.Deployments.Keys.ToList();
        if (roll < 0.012)
        {
            var version = $"v{++_versions}";
            _world.Traits[version] = NewTrait();
            var template = Given.Resource(version).Spec.Template;
            _world.Replace(o =>
            {
                o.Spec = WithSpec(o.Spec, s => s.Template = template, version);
                o.Metadata.Generation++;
                return o;
            });
            _world.Condemned.Clear();
            Log($"spec -> {version} ({_world.Traits[version]})");
            Count("new release");
        }
        else if (roll < 0.016)
        {
            var replicas = _random.Next(1, 5);
            _world.Replace(o =>
            {
                o.Spec = WithSpec(o.Spec, s => s.Replicas = replicas, null);
                if (o.Spec.Strategy.StandbyReplicas > replicas)
                    o.Spec.Strategy.StandbyReplicas = replicas;
                if (o.Spec.Strategy.PreviewReplicas > replicas)
                    o.Spec.Strategy.PreviewReplicas = replicas;
                o.Metadata.Generation++;
                return o;
            });
            Log($"replicas -> {replicas}");
            Count("replicas change");
        }
        else if (roll < 0.028)
        {
            var verb = RolloutAction.All[_random.Next(RolloutAction.All.Count)];
            SetAction(verb);
            Count($"action {verb}");
        }
        else if (roll < 0.030)
        {
            SetAction("bogus");
            Count("action bogus");
        }
        else if (roll < 0.034 && colors.Count > 0)
        {
            var color = colors[_random.Next(colors.Count)];
            _world.Deployments.Remove(color);
            HandEdit($"deleted Deployment {color}", "deletion of a Deployment");
        }
        else if (roll < 0.037 && _world.Active is not null)
        {
            _world.Active = null;
            HandEdit("deleted the active Service", "deletion of the active Service");
        }
        else if (roll < 0.039 && _world.Preview is not null)
        {
            _world.Preview = null;
            HandEdit("deleted the preview Service", "deletion of the preview Service");
        }
        else if (roll < 0.041 && _world.Templates.Count > 0)
        {
            var revision = _world.Templates.ElementAt(_random.Next(_world.Templates.Count));
            _world.Templates.Remove(revision);
            HandEdit($"deleted the template of {revision}", "deletion of a recorded template");
        }
        else if (roll < 0.046 && colors.Count > 0)
        {
            var d = _world.Deployments[colors[_random.Next(colors.Count)]];
            d.TemplateKey = $"hand{++_handEdits}";
            d.Generation++;
            Touch(d);
            HandEdit($"edited the template of {d.Color}", "hand edit of a template");
        }
        else if (roll < 0.050 && colors.Count > 0)
        {
            var d = _world.Deployments[colors[_random.Next(colors.Count)]];
            d.Desired = _random.Next(0, 5);
            d.Generation++;
            Touch(d);
            HandEdit($"scaled {d.Color} to {d.Desired}", "hand edit of replicas");
        }
        else if (roll < 0.052 && colors.Count > 0)
        {
            var d = _world.Deployments[colors[_random.Next(colors.Count)]];
            d.LabelsIntact = false;
            Touch(d);
            HandEdit($"edited the labels of {d.Color}", "hand edit of labels");
        }
        else if (roll < 0.056 && _world.Active is { } active)
        {
            var selector = RandomSelector();
            if (selector.Count != active.Selector.Count || selector.Except(active.Selector).Any())
                active.WrittenByOperator = false;
            active.Selector = selector;
            active.ResourceVersion = long.Parse(_world.NextVersion(), System.Globalization.CultureInfo.InvariantCulture);
            HandEdit($"moved the selector to {string.Join(",", active.Selector.Values)}", "hand edit of the selector");
        }
        else if (roll < 0.058 && _world.Active is { } edited)
        {
            edited.PortsOk = false;
            edited.ResourceVersion = long.Parse(_world.NextVersion(), System.Globalization.CultureInfo.InvariantCulture);
            HandEdit("edited the Service ports", "hand edit of Service ports");
        }
        else if (roll < 0.060)
        {
            _world.QuotaUntil = _world.Now + _random.Next(5, 20);
            Disturbed(_world.QuotaUntil);
            Log($"quota exhausted until {_world.QuotaUntil}");
            Count("quota exhausted");
        }
        else if (roll < 0.063)
        {
            _staleWriters.Add((_world.Now + _random.Next(1, 8), _world.Snapshot()));
            Count("stale second writer");
        }
        else if (roll < 0.065)
        {
            _undecodableUntil = _world.Now + _random.Next(2, 10);
            _world.Undecodable = true;
            // The runtime reports it on the object through a raw status patch and skips it.
            _world.Replace(o =>
            {
                var status = StatusCopy.Clone(o.Status);
                status.Phase = Phase.Degraded;
                status.Message = "Invalid spec: spec.template.spec.containers: expected an array";
                o.Status = status;
                return o;
            });
            Disturbed(_undecodableUntil);
            Log($"undecodable until {_undecodableUntil}");
            Count("object no longer decodes");
        }
        else if (roll < 0.072)
        {
            _world.CapacityShortUntil = _world.Now + _random.Next(3, 30);
            Log($"capacity short until {_world.CapacityShortUntil}");
            Count("capacity short");
        }
        else if (roll < 0.077)
        {
            var ready = _world.Deployments.Values.SelectMany(d => d.Pods).Where(_world.IsReady).ToList();
            if (ready.Count > 0)
            {
                var pod = ready[_random.Next(ready.Count)];
                pod.UnreadyUntil = _world.Now + _random.Next(1, 8);
                Disturbed(pod.UnreadyUntil);
                Count("pod turned unready");
            }
        }

        _history.Add(_world.Object);
    }

    Dictionary<string, string> RandomSelector()
    {
        var color = _random.NextDouble() < 0.5 ? "blue" : "green";
        var selector = new Dictionary<string, string> { [WellKnown.InstanceLabel] = _world.Object.Metadata.Name, [WellKnown.ColorLabel] = color };
        var roll = _random.NextDouble();
        if (roll < 0.4 && _world.Deployments.TryGetValue(ColorNames.Parse(color)!.Value, out var d) && d.Pods.Count > 0)
            selector[WellKnown.PodTemplateHashLabel] = d.Pods[_random.Next(d.Pods.Count)].Hash;
        else if (roll < 0.5)
            selector.Clear();
        return selector;
    }

    static BlueGreenDeploymentSpec WithSpec(BlueGreenDeploymentSpec spec, Action<BlueGreenDeploymentSpec> edit, string? version)
    {
        var copy = k8s.KubernetesJson.Deserialize<BlueGreenDeploymentSpec>(k8s.KubernetesJson.Serialize(spec));
        if (version is not null)
            copy.Model.Version = version;
        edit(copy);
        return copy;
    }

    void Touch(SimDeployment d) => d.ResourceVersion = long.Parse(_world.NextVersion(), System.Globalization.CultureInfo.InvariantCulture);

    void HandEdit(string what, string kind)
    {
        Log(what);
        Count(kind);
        Disturbed();
    }

    bool HasAction() => _world.Object.Metadata.Annotations?.ContainsKey(WellKnown.ActionAnnotation) == true;

    void SetAction(string verb)
    {
        _world.Replace(o =>
        {
            o.Metadata.Annotations = new Dictionary<string, string> { [WellKnown.ActionAnnotation] = verb };
            return o;
        });
        Log($"action {verb}");
    }

    void Disturbed(int until = -1) => _lastDisturbance = Math.Max(_lastDisturbance, Math.Max(_world.Now, until));

    void Count(string kind) => Injected[kind] = Injected.GetValueOrDefault(kind) + 1;

    void Log(string what) => _world.Log.Add($"{_world.Now}: {what}");

    void Violate(string what) => _violation ??= what;

    void CheckInvariants()
    {
        var serving = _world.ServingPods;
        if (serving > 0)
            _served = true;

        // I1: once something served, the active Service selects a ready pod, except while the world has just been disturbed.
        if (_served && serving == 0 && _world.Now - _lastDisturbance > RecoveryTicks && !_world.Undecodable)
            Violate($"I1: the active Service selects no ready pod {_world.Now - _lastDisturbance} ticks after the last disturbance");

        // I2: a selector the operator wrote never selects a ready pod of a template that did not pass its checks.
        if (_world.Active is { WrittenByOperator: true } active)
        {
            var untested = _world.Selected(active).Where(_world.IsReady).Where(p => !_world.PassedHashes.Contains(p.Hash)).ToList();
            if (untested.Count > 0)
                Violate($"I2: the active Service sends traffic to {untested[0].Name}, made from a template that never passed its checks ({untested[0].Hash})");
        }
    }

    bool Converged()
    {
        var op = _operator;
        if (op.Woken || op.RequeueAt is not null || op.Seen != Fingerprint() || _checks.Busy || _staleWriters.Count > 0 || _world.Undecodable
            || _world.Object.Status?.Phase == Phase.Paused || HasAction())
            return false;
        return _world.Deployments.Values.All(d =>
            d.ObservedGeneration == d.Generation
            && d.Pods.Count == d.Desired
            && d.Pods.All(p => p.TemplateKey == d.TemplateKey)
            && d.Pods.All(p => _world.IsReady(p) || _world.TraitOf(p.TemplateKey, d.ModelVersion) == Trait.NeverReady));
    }

    void AssertConverged()
    {
        var status = _world.Object.Status!;
        var spec = _world.Object.Spec;
        var revision = _world.Revision;
        var context = Context();

        // I4: deciding again once converged writes nothing and records no event.
        var writes = _world.Writes;
        var events = _world.EventReasons.Values.Sum();
        _operator.Reconciler.ReconcileAsync(_key, CancellationToken.None).GetAwaiter().GetResult();
        _world.Writes.Should().Be(writes, "I4: a converged object is written again; " + context);
        _world.EventReasons.Values.Sum().Should().Be(events, "I4: a converged object records events; " + context);

        if (ColorNames.Parse(status.ActiveColor) is not { } active)
        {
            status.Phase.Should().Be(Phase.Degraded, context);
            status.AbortedRevision.Should().Be(revision, context);
            _world.Deployments.Values.Should().NotContain(d => d.Desired != 0, context);
            return;
        }

        if (StatusConditions.Find(status.Conditions, StatusConditions.Degraded) is { Status: "True", Reason: DegradedReasons.TemplateLost })
        {
            // The world deleted the serving Deployment and every record of its template while no operator remembered it.
            TemplatesLost++;
            status.Phase.Should().Be(Phase.Degraded, context);
            _world.Templates.Should().NotContain(status.ActiveRevision!, context);
            return;
        }

        var serving = _world.Deployments[active];
        serving.Desired.Should().Be(spec.Replicas, context);
        serving.Revision.Should().Be(status.ActiveRevision, context);
        serving.TemplateKey.Should().Be(serving.Revision, "the serving template is the operator's; " + context);
        _world.ServingPods.Should().Be(spec.Replicas, context);
        _world.Active!.Selector.Should().Equal(DesiredObjects.Selector(_world.Object, active, status.ActivePodTemplateHash), context);
        _world.Active.PortsOk.Should().BeTrue(context);
        _world.Preview.Should().NotBeNull(context);
        _world.Preview!.Selector.Should().Contain(WellKnown.ColorLabel, active.Label(), context);
        if (_world.Deployments.TryGetValue(active.Other(), out var idle))
            idle.Desired.Should().Be(0, context);
        _world.Templates.Should().Contain(status.ActiveRevision!, "the serving template is kept; " + context);
        if (serving.Revision == revision)
        {
            status.Phase.Should().Be(status.AbortedRevision == revision ? Phase.Degraded : Phase.Healthy, context);
        }
        else
        {
            status.Phase.Should().BeOneOf([Phase.Degraded, Phase.RolledBack], context);
            status.AbortedRevision.Should().Be(revision, context);
        }
    }

    string Context() => $"seed {Seed} at tick {_world.Now} (replay: BLUEGREEN_SIM_SEED={Seed}); world: {Describe()}; last events:\n  " + string.Join("\n  ", _world.Log.TakeLast(Verbose ? 400 : 30));

    string Describe() =>
        $"active Service {(_world.Active is { } a ? string.Join(",", a.Selector.Values) : "none")}; "
        + string.Join("; ", _world.Deployments.Values.Select(d =>
            $"{d.Color} {d.Revision} {d.ModelVersion} {_world.TraitOf(d.TemplateKey, d.ModelVersion)} key {d.TemplateKey} desired {d.Desired} gen {d.ObservedGeneration}/{d.Generation} pods [{string.Join(" ", d.Pods.Select(p => $"{p.Hash}{(_world.IsReady(p) ? "+" : "-")}{(p.Unschedulable is null ? "" : "U")}@{p.ReadyAt}/{p.UnreadyUntil}"))}]"));

    void Fail(string why) => Assert.Fail($"{why}: {Context()}");
}
