using BlueGreenOperator.Api;
using k8s.Models;

namespace BlueGreenOperator.Rollout;

/// <summary>What the cluster says about one colour's Deployment.</summary>
/// <param name="StandbyPlacement">The operator last wrote it with the standby's placement overrides.</param>
/// <param name="TemplateIntact">
/// The live pod template is the one the operator last wrote (its hash equals the operator's annotation) and the
/// Deployment's labels are the operator's: false after a hand edit of template or labels.
/// </param>
public sealed record ObservedDeployment(
    Color Color,
    string? Revision,
    string? ModelVersion,
    int DesiredReplicas,
    long Generation,
    long ObservedGeneration,
    int Replicas,
    int UpdatedReplicas,
    int AvailableReplicas,
    bool TemplateIntact = true,
    bool StandbyPlacement = false)
{
    /// <summary>The controller caught up and every desired pod runs the current template and is available.</summary>
    public bool IsRolledOut =>
        ObservedGeneration >= Generation
        && UpdatedReplicas == DesiredReplicas
        && AvailableReplicas == DesiredReplicas
        && Replicas == DesiredReplicas;

    /// <summary>Available pods, not counting those above the desired size that are on their way out.</summary>
    public int ServingCapacity => Math.Min(AvailableReplicas, DesiredReplicas);
}

/// <summary>A pod of one of our colours that is not terminating.</summary>
/// <param name="PodTemplateHash">The Deployment controller's hash of the template the pod was made from.</param>
/// <param name="Unschedulable">The scheduler's reason why the pod has no node yet (PodScheduled False, Unschedulable), if it has one.</param>
public sealed record ObservedPod(string Name, Color Color, string? Revision, string? PodTemplateHash, bool Ready, string? Unschedulable = null);

/// <summary>What the cluster says about a Service the operator owns.</summary>
public sealed record ObservedService(string Name, IReadOnlyDictionary<string, string> Selector, IReadOnlyList<ServicePortSpec> Ports)
{
    public Color? SelectedColor => Selector.TryGetValue(WellKnown.ColorLabel, out var color) ? ColorNames.Parse(color) : null;
}

/// <summary>One check's outcome on one pod (or once, for a query).</summary>
public sealed record PodCheckResult(string Name, string? Pod, bool Passed, long LatencyMs, string Message);

/// <summary>The warm-up of one pod: requests sent, how many failed, the first and the last round's latency.</summary>
public sealed record PodWarmup(string Pod, int Requests, int Failed, long FirstLatencyMs, long LastLatencyMs);

/// <summary>The outcome of running checks against the ready pods of one colour at one revision.</summary>
/// <param name="Pods">The pods the checks ran against, by name.</param>
/// <param name="PodTemplateHash">The pod-template-hash all those pods share; null when they did not share one.</param>
public sealed record CheckReport(
    Color Color,
    string Revision,
    IReadOnlyList<PodCheckResult> Results,
    IReadOnlyList<string> Pods,
    string? PodTemplateHash,
    DateTime CompletedAt)
{
    /// <summary>A replay's report (CheckKind.Replay): its numbers, as status shows them.</summary>
    public ParityStatus? Parity { get; init; }

    public int PodsTested => Pods.Count;

    /// <summary>The warm-up of each pod before its checks (rows W1, W3), when the run warmed pods up.</summary>
    public IReadOnlyList<PodWarmup> Warmups { get; init; } = [];

    public bool Passed => Results.All(r => r.Passed) && (PodsTested > 0 || Results.Count > 0 && Results.All(r => r.Pod is null));

    public string Summary
    {
        get
        {
            var failed = Results.Where(r => !r.Passed).ToList();
            if (PodsTested == 0 && Results.Count == 0)
                return "no ready pod to check";
            if (failed.Count == 0)
                return PodsTested > 0 ? $"{Results.Count} checks passed on {PodsTested} pods" : $"{Results.Count} checks passed";
            var first = failed[0];
            var where = first.Pod is null ? "" : $" on {first.Pod}";
            return $"{failed.Count} of {Results.Count} checks failed; first: {first.Name}{where}: {first.Message}";
        }
    }
}

/// <summary>A write the API server refused for a reason other than a conflict (admission, quota, validation, 5xx).</summary>
public sealed record RefusedWrite(RolloutStep Step, int StatusCode, string Reason, string Message);

/// <summary>Everything one planning decision looks at.</summary>
public sealed record ObservedState(
    BlueGreenDeployment Resource,
    ObservedDeployment? Blue,
    ObservedDeployment? Green,
    ObservedService? ActiveService,
    ObservedService? PreviewService,
    DateTime Now)
{
    /// <summary>Pods of both colours that are not terminating.</summary>
    public IReadOnlyList<ObservedPod> Pods { get; init; } = [];

    /// <summary>The revisions whose pod template is kept (as a ControllerRevision) for re-creating a colour.</summary>
    public IReadOnlySet<string> Templates { get; init; } = new HashSet<string>();

    /// <summary>Revisions whose kept template this process still remembers although its ControllerRevision was deleted.</summary>
    public IReadOnlySet<string> RememberedTemplates { get; init; } = new HashSet<string>();

    /// <summary>The last completed smoke test run of this object, if the operator still remembers one.</summary>
    public CheckReport? SmokeTests { get; init; }

    /// <summary>The last completed analysis run of this object, if the operator still remembers one.</summary>
    public CheckReport? Analysis { get; init; }

    /// <summary>The last completed warm-up of the standby's pods, if the operator still remembers one.</summary>
    public CheckReport? StandbyWarmup { get; init; }

    /// <summary>The last completed replay of this object (spec.replay), if the operator still remembers one.</summary>
    public CheckReport? Replay { get; init; }

    /// <summary>The last write the API server refused, while the reconciler still retries it.</summary>
    public RefusedWrite? Refused { get; init; }

    /// <summary>An object with one of our names that this object does not own.</summary>
    public string? NameConflict { get; init; }

    /// <summary>How long the active Service write just performed in this reconcile took, if there was one.</summary>
    public TimeSpan? ActiveServiceWrite { get; init; }

    public ObservedDeployment? Deployment(Color color) => color == Color.Blue ? Blue : Green;

    public ObservedService? Service(ServiceRole role) => role == ServiceRole.Active ? ActiveService : PreviewService;

    public IEnumerable<ObservedPod> ReadyPods(Color color) => Pods.Where(p => p.Color == color && p.Ready);
}
