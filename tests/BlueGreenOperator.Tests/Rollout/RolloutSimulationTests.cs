using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Rollout;

/// <summary>
/// Model-based test: an in-memory world of Deployments whose pods become ready after random delays drives the planner
/// through random releases (good, failing smoke tests, never ready, failing analysis), actions and operator crashes.
/// Invariants I1–I4 are checked after every tick and every run must converge once the random events stop.
/// </summary>
[TestFixture]
public sealed class RolloutSimulationTests
{
    const int Runs = 1000;

    [Test]
    public void Should_hold_the_invariants_and_converge_in_every_random_run()
    {
        long ticks = 0, reconciles = 0, writes = 0, crashes = 0, switches = 0, rollbacks = 0, aborts = 0;
        for (var seed = 1; seed <= Runs; seed++)
        {
            var simulation = new Simulation(seed);
            simulation.Run();
            ticks += simulation.Ticks;
            reconciles += simulation.Reconciles;
            writes += simulation.Writes;
            crashes += simulation.Crashes;
            switches += simulation.Switches;
            rollbacks += simulation.Rollbacks;
            aborts += simulation.Aborts;
        }

        TestContext.Out.WriteLine($"model-based: {Runs} runs, {ticks} ticks, {reconciles} reconciles, {writes} write steps, " +
            $"{switches} switches, {rollbacks} rollbacks, {aborts} aborts, {crashes} crashes");
        switches.Should().BeGreaterThan(Runs, "the runs must exercise switches");
        rollbacks.Should().BeGreaterThan(Runs / 20, "the runs must exercise rollbacks");
        aborts.Should().BeGreaterThan(Runs / 5, "the runs must exercise aborts");
        crashes.Should().BeGreaterThan(Runs, "the runs must exercise crashes");
    }

    enum Trait
    {
        Good,
        FailsSmokeTests,
        NeverReady,
        FailsAnalysis,
    }

    sealed class SimPod(int id, string revision, int readyAt)
    {
        public int Id { get; } = id;
        public string Revision { get; } = revision;
        public int ReadyAt { get; } = readyAt;
    }

    sealed class SimDeployment(Color color)
    {
        public Color Color { get; } = color;
        public string Revision { get; set; } = "";
        public string ModelVersion { get; set; } = "";
        public int Desired { get; set; }
        public long Generation { get; set; }
        public long ObservedGeneration { get; set; }
        public List<SimPod> Pods { get; } = [];
    }

    sealed class Simulation
    {
        const int EventTicks = 400;
        const int DrainTicks = 3000;

        readonly Random _random;
        readonly int _seed;
        readonly Dictionary<string, Trait> _traits = [];
        readonly Dictionary<Color, SimDeployment> _deployments = [];
        readonly HashSet<string> _passedRevisions = [];
        readonly HashSet<int> _testedPods = [];
        readonly List<string> _log = [];
        BlueGreenDeployment _resource;
        Color? _activeService;
        Color? _previewService;
        int _now;
        int _nextPod;
        int _versions;
        bool _firstReleaseServed;
        string? _lastFingerprint;
        int? _requeueAt;
        bool _converged;
        int _resourceVersion;

        public Simulation(int seed)
        {
            _seed = seed;
            _random = new Random(seed);
            var replicas = _random.Next(1, 5);
            _resource = Given.Resource("v0", spec =>
            {
                spec.Replicas = replicas;
                spec.Strategy = new StrategySpec
                {
                    AutoPromote = _random.NextDouble() < 0.7,
                    PreviewReplicas = _random.NextDouble() < 0.5 ? _random.Next(1, replicas + 1) : null,
                    StandbyReplicas = _random.Next(0, replicas + 1),
                    ScaleDownDelaySeconds = _random.Next(0, 20),
                    StabilizationSeconds = _random.Next(0, 60),
                    ProgressDeadlineSeconds = _random.Next(20, 60),
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
            _traits["v0"] = NewTrait();
        }

        public int Ticks { get; private set; }
        public int Reconciles { get; private set; }
        public int Writes { get; private set; }
        public int Crashes { get; private set; }
        public int Switches { get; private set; }
        public int Rollbacks { get; private set; }
        public int Aborts { get; private set; }

        public void Run()
        {
            for (; _now < EventTicks + DrainTicks; _now++)
            {
                Ticks++;
                var chaos = _now < EventTicks;
                if (chaos)
                    RandomEvent();
                else if (_resource.Status?.Phase == Phase.Paused)
                    SetAction(RolloutAction.Promote);

                AdvanceWorld();
                var converged = Reconcile(crashChance: chaos ? 0.04 : 0);
                CheckInvariants();
                if (!chaos && converged)
                {
                    AssertConverged();
                    return;
                }
            }

            Fail("did not converge");
        }

        Trait NewTrait()
        {
            var roll = _random.NextDouble();
            return roll < 0.55 ? Trait.Good : roll < 0.7 ? Trait.FailsSmokeTests : roll < 0.8 ? Trait.NeverReady : Trait.FailsAnalysis;
        }

        void RandomEvent()
        {
            var roll = _random.NextDouble();
            if (roll < 0.015)
            {
                var version = $"v{++_versions}";
                _traits[version] = NewTrait();
                var next = Given.Resource(version);
                next.Spec.Replicas = _resource.Spec.Replicas;
                next.Spec.Strategy = _resource.Spec.Strategy;
                next.Spec.Analysis = _resource.Spec.Analysis;
                next.Metadata.Generation = _resource.Metadata.Generation + 1;
                next.Metadata.Annotations = _resource.Metadata.Annotations;
                next.Status = _resource.Status;
                _resource = next;
                _resourceVersion++;
                _log.Add($"{_now}: spec -> {version} ({_traits[version]})");
            }
            else if (roll < 0.025)
            {
                SetAction(RolloutAction.All[_random.Next(RolloutAction.All.Count)]);
            }
            else if (roll < 0.027)
            {
                SetAction("bogus");
            }
        }

        void SetAction(string verb)
        {
            _resource.Metadata.Annotations = new Dictionary<string, string> { [WellKnown.ActionAnnotation] = verb };
            _resourceVersion++;
            _log.Add($"{_now}: action {verb}");
        }

        // The Deployment controller and the kubelet: catch up generations, replace pods, make them ready in time.
        void AdvanceWorld()
        {
            foreach (var deployment in _deployments.Values)
            {
                if (deployment.ObservedGeneration < deployment.Generation && _random.NextDouble() < 0.6)
                    deployment.ObservedGeneration = deployment.Generation;
                if (deployment.ObservedGeneration < deployment.Generation)
                    continue;
                deployment.Pods.RemoveAll(p => p.Revision != deployment.Revision);
                while (deployment.Pods.Count > deployment.Desired)
                    deployment.Pods.RemoveAt(deployment.Pods.Count - 1);
                while (deployment.Pods.Count < deployment.Desired)
                {
                    var neverReady = _traits[deployment.ModelVersion] == Trait.NeverReady;
                    deployment.Pods.Add(new SimPod(++_nextPod, deployment.Revision, neverReady ? int.MaxValue : _now + _random.Next(1, 15)));
                }
            }
        }

        bool IsReady(SimPod pod) => pod.ReadyAt <= _now;

        ObservedDeployment? Observe(Color color)
        {
            if (!_deployments.TryGetValue(color, out var d))
                return null;
            var current = d.Pods.Where(p => p.Revision == d.Revision).ToList();
            return new ObservedDeployment(color, d.Revision, d.ModelVersion, d.Desired, d.Generation, d.ObservedGeneration,
                d.Pods.Count, current.Count, current.Count(IsReady));
        }

        ObservedState Observe(CheckReport? smoke = null, CheckReport? analysis = null) => new(
            _resource, Observe(Color.Blue), Observe(Color.Green),
            _activeService is null ? null : new ObservedService(_resource.Spec.Service.Name, _activeService),
            _previewService is null ? null : new ObservedService("preview", _previewService),
            Given.T0.AddSeconds(_now), smoke, analysis);

        // One reconcile as the real operator runs it, woken by a change in what it watches or by its requeue timer.
        bool Reconcile(double crashChance)
        {
            var fingerprint = Fingerprint();
            if (fingerprint == _lastFingerprint && (_requeueAt is null || _now < _requeueAt))
                return _converged && Settled();

            Reconciles++;
            var plan = RolloutPlanner.Plan(Observe());
            if (plan.Step is RunSmokeTests smoke)
                plan = RolloutPlanner.Plan(Observe(smoke: RunChecks(smoke.Color, smoke.Revision, analysis: false)));
            else if (plan.Step is RunAnalysis run)
                plan = RolloutPlanner.Plan(Observe(analysis: RunChecks(run.Color, run.Revision, analysis: true)));
            Require(plan.Step is not (RunSmokeTests or RunAnalysis), "a check step must not follow another check");

            Execute(plan);
            if (_random.NextDouble() < crashChance)
            {
                // The process dies after the step and before the status write: only the cluster remembers.
                Crashes++;
                _lastFingerprint = null;
                _requeueAt = null;
                _converged = false;
                _log.Add($"{_now}: crash after {plan.Step}");
                return false;
            }

            var statusChanged = !RolloutPlanner.StatusEquals(_resource.Status, plan.Status);
            _resource.Status = plan.Status;
            if (plan.ClearAction)
                _resource.Metadata.Annotations = null;
            _requeueAt = plan.RequeueAfter is { } after ? _now + (int)Math.Ceiling(after.TotalSeconds) : null;
            // What this reconcile saw: its own writes come back as watch events and wake it again.
            _lastFingerprint = fingerprint;
            if (statusChanged || plan.ClearAction)
                _resourceVersion++;

            if (plan.Step is Wait && !plan.ClearAction)
            {
                // I4: once a decision changes nothing, deciding again writes nothing: no step, no status change, no event.
                var again = RolloutPlanner.Plan(Observe());
                Require(statusChanged || plan.Events.Count == 0, "I4: a converged reconcile records events");
                if (again.Step is Wait)
                {
                    Require(RolloutPlanner.StatusEquals(_resource.Status, again.Status), "I4: status churns");
                    Require(again.Events.Count == 0, "I4: events repeat");
                }
            }

            _converged = plan.Step is Wait && !statusChanged && plan.RequeueAfter is null && !plan.ClearAction;
            return _converged && Settled();
        }

        CheckReport RunChecks(Color color, string revision, bool analysis)
        {
            var ready = _deployments[color].Pods.Where(p => p.Revision == revision && IsReady(p)).ToList();
            var trait = _traits[_deployments[color].ModelVersion];
            var fails = analysis ? trait == Trait.FailsAnalysis : trait == Trait.FailsSmokeTests;
            if (!analysis && !fails && ready.Count > 0)
            {
                _passedRevisions.Add(revision);
                _testedPods.UnionWith(ready.Select(p => p.Id));
            }

            return new CheckReport(color, revision,
                [.. ready.Select(p => new CheckResult { Name = "golden", Pod = $"pod-{p.Id}", Passed = !fails, Message = fails ? "wrong prediction" : "ok" })],
                ready.Count);
        }

        void Execute(RolloutPlan plan)
        {
            switch (plan.Step)
            {
                case ApplyDeployment apply:
                    Writes++;
                    if (!_deployments.TryGetValue(apply.Color, out var d))
                        _deployments[apply.Color] = d = new SimDeployment(apply.Color);
                    if (d.Revision != apply.Revision || d.Desired != apply.Replicas || d.ModelVersion != apply.ModelVersion)
                        d.Generation++;
                    d.Revision = apply.Revision;
                    d.ModelVersion = apply.ModelVersion;
                    d.Desired = apply.Replicas;
                    break;
                case ScaleDeployment scale:
                    Writes++;
                    if (_deployments.TryGetValue(scale.Color, out var s) && s.Desired != scale.Replicas)
                    {
                        s.Desired = scale.Replicas;
                        s.Generation++;
                    }

                    if (scale.Replicas == 0 && plan.Status.AbortedRevision is not null && plan.Events.Any(e => e.Kind == EventKind.Warning && e.Reason != "ActionIgnored"))
                        Aborts++;
                    break;
                case PointService { Role: ServiceRole.Active } point:
                    Writes++;
                    if (_activeService != point.Color)
                    {
                        var rollback = plan.Status.Phase == Phase.RolledBack;
                        if (rollback)
                        {
                            Rollbacks++;
                        }
                        else
                        {
                            // I2 at the moment of a forward switch: every ready pod of the target passed smoke tests.
                            var untested = _deployments[point.Color].Pods.Where(p => IsReady(p) && !_testedPods.Contains(p.Id)).ToList();
                            Require(untested.Count == 0, "I2: untested pods would take traffic");
                        }

                        Switches++;
                    }

                    _activeService = point.Color;
                    if (_firstReleaseServed is false && Observe(point.Color) is { AvailableReplicas: > 0 })
                        _firstReleaseServed = true;
                    break;
                case PointService point:
                    Writes++;
                    _previewService = point.Color;
                    break;
            }

            _log.Add($"{_now}: {plan.Step} -> {plan.Status.Phase} {plan.Status.Message}");
        }

        void CheckInvariants()
        {
            if (_activeService is not { } active)
                return;
            var serving = _deployments[active];
            var ready = serving.Pods.Where(IsReady).ToList();

            // I1: once the first release serves, the active Service always selects a colour with an available pod.
            if (_firstReleaseServed)
                Require(ready.Count > 0, $"I1: the active Service selects {active} with no available pod");
            else if (ready.Count > 0)
                _firstReleaseServed = true;

            // I2: it never selects a revision that has not passed smoke tests.
            Require(ready.All(p => _passedRevisions.Contains(p.Revision)), "I2: an untested revision serves");

            // I3: before the switch the serving colour keeps its full size.
            if (Phase.IsBeforeSwitch(_resource.Status?.Phase))
                Require(serving.Desired >= _resource.Spec.Replicas, "I3: the serving colour shrank before the switch");
        }

        bool Settled() => _deployments.Values.All(d =>
            d.ObservedGeneration == d.Generation
            && d.Pods.Count == d.Desired
            && d.Pods.All(p => p.Revision == d.Revision)
            && d.Pods.All(p => IsReady(p) || _traits[d.ModelVersion] == Trait.NeverReady));

        void AssertConverged()
        {
            var status = _resource.Status!;
            var revision = RevisionHash.Compute(_resource.Spec);
            var context = Context();
            if (_activeService is not { } active)
            {
                status.Phase.Should().Be(Phase.Degraded, context);
                status.AbortedRevision.Should().Be(revision, context);
                _deployments.Values.Should().OnlyContain(d => d.Desired == 0, context);
                return;
            }

            var serving = _deployments[active];
            serving.Desired.Should().Be(_resource.Spec.Replicas, context);
            serving.Pods.Count(IsReady).Should().Be(_resource.Spec.Replicas, context);
            if (_deployments.TryGetValue(active.Other(), out var idle))
                idle.Desired.Should().Be(0, context);
            _previewService.Should().Be(active, context);
            if (serving.Revision == revision)
            {
                status.Phase.Should().Be(Phase.Healthy, context);
            }
            else
            {
                status.Phase.Should().BeOneOf([Phase.Degraded, Phase.RolledBack], context);
                status.AbortedRevision.Should().Be(revision, context);
            }

            status.ActiveColor.Should().Be(active.Label(), context);
            status.ActiveRevision.Should().Be(serving.Revision, context);
        }

        string Fingerprint() => string.Join("|",
            _resourceVersion, _activeService, _previewService,
            string.Join(";", _deployments.Values.Select(d => Observe(d.Color)!.ToString())));

        string Context() => $"seed {_seed} at tick {_now}; last events:\n  " + string.Join("\n  ", _log.TakeLast(25));

        void Fail(string why) => Assert.Fail($"{why}: {Context()}");

        // Checked on every tick: a plain test, so that the context is only built when it fails.
        void Require(bool holds, string invariant)
        {
            if (!holds)
                Fail(invariant);
        }
    }
}
