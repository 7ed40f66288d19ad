using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using k8s.Models;

namespace BlueGreenOperator.Tests.Rollout.Scenarios;

/// <summary>
/// A world for one decision of the planner: the object with its status, both colours with their pods, both Services,
/// the kept templates, check reports and what the reconciler remembers. <see cref="Settle"/> plays the planner's steps
/// in a world where pods are ready at once and checks pass, to reach a state from which a scenario starts.
/// </summary>
internal sealed class Scenario
{
    readonly Dictionary<Color, ObservedDeployment> _deployments = [];
    readonly List<ObservedPod> _pods = [];
    int _nextPod;

    public Scenario(BlueGreenDeployment resource) => Resource = resource;

    public BlueGreenDeployment Resource { get; private set; }

    public BlueGreenDeploymentStatus Status => Resource.Status!;

    public ObservedService? Active { get; set; }

    public ObservedService? Preview { get; set; }

    public HashSet<string> Templates { get; } = new(StringComparer.Ordinal);

    public DateTime Now { get; set; } = Given.T0;

    public CheckReport? Smoke { get; set; }

    public CheckReport? Analysis { get; set; }

    public CheckReport? StandbyWarmup { get; set; }
    public CheckReport? Replay { get; set; }

    public RefusedWrite? Refused { get; set; }

    public string? NameConflict { get; set; }

    public TimeSpan? ServiceWrite { get; set; }

    public static string Hash(string revision) => "h-" + revision;

    public ObservedDeployment? Deployment(Color color) => _deployments.TryGetValue(color, out var d) ? d : null;

    public IReadOnlyList<ObservedPod> Pods => _pods;

    public RolloutPlan Plan() => RolloutPlanner.Plan(new ObservedState(Resource, Deployment(Color.Blue), Deployment(Color.Green), Active, Preview, Now)
    {
        Pods = [.. _pods],
        Templates = Templates.ToHashSet(StringComparer.Ordinal),
        SmokeTests = Smoke,
        Analysis = Analysis,
        StandbyWarmup = StandbyWarmup,
        Replay = Replay,
        Refused = Refused,
        NameConflict = NameConflict,
        ActiveServiceWrite = ServiceWrite,
    });

    /// <summary>Persists the plan's status and removes a consumed action, as the reconciler does before its step.</summary>
    public RolloutPlan Decide()
    {
        var plan = Plan();
        Resource.Status = plan.Status;
        if (plan.ConsumedAction is not null)
            Resource.Metadata.Annotations = null;
        return plan;
    }

    /// <summary>A colour's Deployment at a revision and size, rolled out, with <paramref name="ready"/> ready pods of the revision's template.</summary>
    public Scenario WithDeployment(Color color, string revision, string modelVersion, int desired, int? ready = null, bool intact = true)
    {
        var available = ready ?? desired;
        _deployments[color] = new ObservedDeployment(color, revision, modelVersion, desired, 2, 2, desired, desired, available, intact);
        _pods.RemoveAll(p => p.Color == color);
        for (var i = 0; i < desired; i++)
            _pods.Add(new ObservedPod($"{color.Label()}-{++_nextPod}", color, revision, Hash(revision), i < available));
        return this;
    }

    public Scenario WithDeployment(Color color, BlueGreenDeployment version, int desired, int? ready = null, bool intact = true) =>
        WithDeployment(color, Given.Revision(version), version.Spec.Model.Version, desired, ready, intact);

    public Scenario Without(Color color)
    {
        _deployments.Remove(color);
        _pods.RemoveAll(p => p.Color == color);
        return this;
    }

    /// <summary>Changes what the Deployment says and keeps its pods (a hand edit the controller has not acted on yet).</summary>
    public Scenario Edit(Color color, Func<ObservedDeployment, ObservedDeployment> edit)
    {
        _deployments[color] = edit(_deployments[color]);
        return this;
    }

    public Scenario AddPod(Color color, string revision, string hash, bool ready)
    {
        _pods.Add(new ObservedPod($"{color.Label()}-{++_nextPod}", color, revision, hash, ready));
        return this;
    }

    /// <summary>The scheduler cannot place this pod.</summary>
    public Scenario Unschedule(string pod, string why)
    {
        var index = _pods.FindIndex(p => p.Name == pod);
        _pods[index] = _pods[index] with { Ready = false, Unschedulable = why };
        return this;
    }

    /// <summary>Every pod of the colour made from another template (e.g. the standby's placement).</summary>
    public Scenario ReplacePodHashes(Color color, string hash)
    {
        for (var i = 0; i < _pods.Count; i++)
        {
            if (_pods[i].Color == color)
                _pods[i] = _pods[i] with { PodTemplateHash = hash };
        }

        return this;
    }

    public ObservedService Service(Color color, string? hash) => new("svc",
        DesiredObjects.Selector(Resource, color, hash), [.. Resource.Spec.Service.Ports]);

    public Scenario WithActive(Color color, string? hash)
    {
        Active = Service(color, hash);
        return this;
    }

    public Scenario WithPreview(Color color)
    {
        Preview = Service(color, null);
        return this;
    }

    /// <summary>A new spec (a GitOps sync): status and annotations carry over, the generation moves on.</summary>
    public Scenario Ship(BlueGreenDeployment next)
    {
        next.Status = Resource.Status;
        next.Metadata.Generation = (Resource.Metadata.Generation ?? 1) + 1;
        next.Metadata.Annotations = Resource.Metadata.Annotations;
        Resource = next;
        return this;
    }

    public Scenario Act(string verb)
    {
        Resource.Metadata.Annotations = new Dictionary<string, string> { [WellKnown.ActionAnnotation] = verb };
        return this;
    }

    public Scenario After(int seconds)
    {
        Now = Now.AddSeconds(seconds);
        return this;
    }

    /// <summary>A passing smoke run on every ready pod of the colour at the revision.</summary>
    public CheckReport Passed(Color color, string revision) => Report(color, revision, _ => true);

    /// <summary>A warm-up of every ready pod of the colour at the revision: five requests, 400 ms first, 6 ms last.</summary>
    public CheckReport Warmed(Color color, string revision, IReadOnlyList<PodCheckResult>? results = null)
    {
        var pods = _pods.Where(p => p.Color == color && p.Revision == revision && p.Ready).ToList();
        return new CheckReport(color, revision, results ?? [], [.. pods.Select(p => p.Name)], pods.Select(p => p.PodTemplateHash).Distinct().SingleOrDefault(), Now)
        {
            Warmups = [.. pods.Select(p => new PodWarmup(p.Name, 5, 0, 400, 6))],
        };
    }

    public CheckReport Report(Color color, string revision, Func<ObservedPod, bool> passes)
    {
        var pods = _pods.Where(p => p.Color == color && p.Revision == revision && p.Ready).ToList();
        var hashes = pods.Select(p => p.PodTemplateHash).Distinct().ToList();
        return new CheckReport(color, revision,
            [.. pods.Select(p => new PodCheckResult("golden", p.Name, passes(p), 4, passes(p) ? "ok" : "output-0 was [1], expected [0]"))],
            [.. pods.Select(p => p.Name)], hashes is [{ } hash] ? hash : null, Now);
    }

    /// <summary>A replay's report on every ready pod of the colour, as the replay runner makes one.</summary>
    public CheckReport Replayed(RunReplay step, bool passed, string message = "agreement 98.7 % on 150 requests (2 disagreements)")
    {
        var pods = _pods.Where(p => p.Color == step.Color && p.Revision == step.Revision && p.Ready).ToList();
        var hashes = pods.Select(p => p.PodTemplateHash).Distinct().ToList();
        var hash = hashes is [{ } one] ? one : null;
        var parity = new ParityStatus
        {
            Revision = step.Revision, Color = step.Color.Label(), ServingColor = step.Serving?.Label(), AfterSwitch = step.AfterSwitch,
            PodTemplateHash = hash, ServingRevision = step.ServingRevision, Passed = passed, Requests = 150,
            Compared = 150, Disagreements = passed ? 2 : 44, Agreement = passed ? 0.9867 : 0.7067, Message = message,
        };
        return new CheckReport(step.Color, step.Revision, [new PodCheckResult("replay", null, passed, 12, message)], [.. pods.Select(p => p.Name)], hash, Now) { Parity = parity };
    }

    /// <summary>
    /// Plays the planner's steps (Deployments available at once, checks passing, Services following, actions as
    /// given) until it waits with nothing left to do, at most <paramref name="steps"/> decisions.
    /// </summary>
    public Scenario Settle(int steps = 40)
    {
        for (var i = 0; i < steps; i++)
        {
            var plan = Decide();
            ServiceWrite = null;
            switch (plan.Step)
            {
                case ApplyDeployment apply:
                    WithDeployment(apply.Color, apply.Revision, apply.ModelVersion, apply.Replicas);
                    if (apply.Standby)
                        Edit(apply.Color, d => d with { StandbyPlacement = true }).ReplacePodHashes(apply.Color, Hash(apply.Revision) + "-placed");
                    Templates.Add(apply.Revision);
                    break;
                case ScaleDeployment scale:
                    var d = Deployment(scale.Color)!;
                    WithDeployment(scale.Color, d.Revision!, d.ModelVersion!, scale.Replicas);
                    break;
                case PointService { Role: ServiceRole.Active } point:
                    WithActive(point.Color, point.PodTemplateHash);
                    ServiceWrite = TimeSpan.FromMilliseconds(12);
                    break;
                case PointService point:
                    WithPreview(point.Color);
                    break;
                case RecordTemplate record:
                    Templates.Add(record.Revision);
                    break;
                case PruneTemplates prune:
                    Templates.ExceptWith(prune.Revisions);
                    break;
                case RunSmokeTests smoke:
                    Smoke = Passed(smoke.Color, smoke.Revision);
                    break;
                case RunAnalysis analysis:
                    Analysis = Passed(analysis.Color, analysis.Revision);
                    break;
                case RunStandbyWarmup warmup:
                    StandbyWarmup = Warmed(warmup.Color, warmup.Revision);
                    break;
                case RunReplay replay:
                    Replay = Replayed(replay, passed: true);
                    break;
                case Wait when plan.RequeueAfter is null || Resource.Status?.Phase is Phase.Healthy or Phase.Paused or Phase.Stabilizing or Phase.Degraded or Phase.RolledBack:
                    return this;
            }
        }

        return this;
    }

    /// <summary>v1 serving from blue at 3 replicas, converged.</summary>
    public static Scenario ServingV1(Action<BlueGreenDeploymentSpec>? edit = null)
    {
        var scenario = new Scenario(Given.Resource("v1", edit)).Settle();
        if (scenario.Status.Phase != Phase.Healthy)
            throw new InvalidOperationException($"v1 did not settle: {scenario.Status.Phase} {scenario.Status.Message}");
        return scenario;
    }

    /// <summary>v2 switched to green at T0 + 60 s; blue is the standby at full size.</summary>
    public static Scenario SwitchedToV2(Action<BlueGreenDeploymentSpec>? edit = null)
    {
        var scenario = ServingV1(edit).After(60);
        scenario.Ship(Given.Resource("v2", edit)).Settle();
        if (scenario.Status.Phase != Phase.Stabilizing)
            throw new InvalidOperationException($"v2 did not switch: {scenario.Status.Phase} {scenario.Status.Message}");
        return scenario;
    }

    public static V1ObjectMeta Meta(BlueGreenDeployment resource) => resource.Metadata;
}
