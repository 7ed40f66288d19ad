using BlueGreenOperator.Api;

namespace BlueGreenOperator.Rollout;

/// <summary>
/// What one decision works on: the observed world, the status as read (<see cref="Old"/>) and the status being
/// decided (<see cref="Status"/>), the events and timers the decision produces, and the action annotation.
/// Stage handlers and convergence rules read and write it; <see cref="RolloutPlanner"/> alone turns it into a plan.
/// </summary>
internal sealed class PlanContext
{
    readonly List<RolloutEvent> _events = [];
    readonly List<DateTime> _timers = [];
    readonly string? _action;
    bool _actionHandled;

    public PlanContext(ObservedState world)
    {
        World = world;
        Resource = world.Resource;
        Old = world.Resource.Status ?? new BlueGreenDeploymentStatus();
        Status = StatusCopy.Clone(world.Resource.Status);
        // Status holds whole seconds (RFC 3339 without fractions): deciding on whole seconds keeps decisions repeatable.
        Now = Seconds(world.Now);
        var annotations = world.Resource.Metadata?.Annotations;
        if (annotations is not null && annotations.TryGetValue(WellKnown.ActionAnnotation, out var action))
        {
            RawAction = action ?? "";
            _action = RawAction.Trim().ToLowerInvariant();
        }
    }

    public ObservedState World { get; }

    public BlueGreenDeployment Resource { get; }

    public BlueGreenDeploymentSpec Spec => Resource.Spec;

    public StrategySpec Strategy => Spec.Strategy ?? new StrategySpec();

    /// <summary>The status as read: what users, tools and the action table saw.</summary>
    public BlueGreenDeploymentStatus Old { get; }

    /// <summary>The status being decided; persisted before the plan's step is taken.</summary>
    public BlueGreenDeploymentStatus Status { get; }

    public DateTime Now { get; }

    /// <summary>The spec's revision; set once the spec is known to be valid.</summary>
    public string Revision { get; set; } = "";

    public int Replicas => Spec.Replicas;

    public int PreviewReplicas => Strategy.PreviewReplicas ?? Spec.Replicas;

    /// <summary>Why status says Degraded, when it does (the Degraded condition's reason).</summary>
    public string? DegradedReason { get; set; }

    /// <summary>Why a release does not progress although nothing failed (the Progressing condition False), e.g. no capacity.</summary>
    public (string Reason, string Message)? Stalled { get; set; }

    public string? RawAction { get; }

    public IReadOnlyList<RolloutEvent> Events => _events;

    public TimeSpan? RequeueAfter => _timers.Count == 0 ? null : (_timers.Min() > Now ? _timers.Min() - Now : TimeSpan.Zero) + TimeSpan.FromSeconds(1);

    public ObservedDeployment? Deployment(Color color) => World.Deployment(color);

    public static DateTime Utc(DateTime time) => time.Kind == DateTimeKind.Utc ? time : time.ToUniversalTime();

    /// <summary>A time in whole seconds, as status keeps times.</summary>
    public static DateTime Seconds(DateTime time)
    {
        var utc = Utc(time);
        return new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    }

    public void Event(EventKind kind, string reason, string message) => _events.Add(new RolloutEvent(kind, reason, message));

    /// <summary>Asks to be reconciled again at <paramref name="at"/> (plus a second, so that the time has surely come).</summary>
    public void Timer(DateTime at) => _timers.Add(at);

    /// <summary>
    /// True once when the annotation asks for <paramref name="verb"/> and the action table says it applies to the
    /// status as read; the caller then performs it.
    /// </summary>
    public bool Take(string verb)
    {
        if (_action != verb || _actionHandled || !ActionTable.Applies(verb, Old))
            return false;
        _actionHandled = true;
        return true;
    }

    /// <summary>Records that the annotation's action is not performed, and why, as a Warning Event.</summary>
    public void Ignore(string why)
    {
        if (_action is null || _actionHandled)
            return;
        _actionHandled = true;
        Event(EventKind.Warning, "ActionIgnored", $"Action '{_action}' ignored: {why}");
    }

    /// <summary>An action nobody took: it does not apply to the status as read, or not in this stage.</summary>
    public void IgnoreUnhandledAction(Stage stage)
    {
        if (_action is null || _actionHandled)
            return;
        if (!RolloutAction.All.Contains(_action))
            Ignore($"'{_action}' is not one of {string.Join(", ", RolloutAction.All)}");
        else if (!ActionTable.Applies(_action, Old))
            Ignore($"{_action} applies {ActionTable.For(_action).When}; the phase is {Old.Phase ?? "(none)"}");
        else
            Ignore($"it does not apply in stage {stage}");
    }

    /// <summary>The readiness-gated pods of a colour at a revision.</summary>
    public List<ObservedPod> ReadyPods(Color color, string revision) =>
        [.. World.ReadyPods(color).Where(p => p.Revision == revision)];

    /// <summary>Whether the revision's pod template can be written again: from the spec, or from its recorded template.</summary>
    public bool HasTemplate(string? revision) =>
        revision is not null && (revision == Revision || World.Templates.Contains(revision) || World.RememberedTemplates.Contains(revision));

    /// <summary>True when the spec changed since the status was last written (a new generation).</summary>
    public bool SpecChanged => Old.ObservedGeneration != Resource.Metadata?.Generation;
}

/// <summary>Deep copies and comparisons of status, through its JSON form (the form that is persisted).</summary>
/// <remarks>
/// Each call serializes afresh (a status is about a kilobyte: tens of microseconds, once or twice a reconcile). A
/// cache of the serialized form per cached status cost every converged object 2 KiB for as long as it lived.
/// </remarks>
public static class StatusCopy
{
    public static BlueGreenDeploymentStatus Clone(BlueGreenDeploymentStatus? status) =>
        status is null ? new BlueGreenDeploymentStatus() : k8s.KubernetesJson.Deserialize<BlueGreenDeploymentStatus>(k8s.KubernetesJson.Serialize(status));

    /// <summary>Whether persisting <paramref name="next"/> over <paramref name="current"/> would change anything.</summary>
    public static bool Same(BlueGreenDeploymentStatus? current, BlueGreenDeploymentStatus? next) =>
        current is null || next is null
            ? ReferenceEquals(current, next)
            : k8s.KubernetesJson.Serialize(current) == k8s.KubernetesJson.Serialize(next);
}
