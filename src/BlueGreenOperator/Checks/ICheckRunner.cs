using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;

namespace BlueGreenOperator.Checks;

/// <summary>Runs checks of one kind against pods of one colour and reports every result.</summary>
public interface ICheckRunner
{
    Task<CheckReport> RunAsync(CheckRun run, CancellationToken ct);
}

/// <summary>One run: the checks of one kind of one object (in <paramref name="Namespace"/>) against pods of one colour at one revision.</summary>
public sealed record CheckRun(string Namespace, CheckKind Kind, Color Color, string Revision, IReadOnlyList<CheckTarget> Pods, IReadOnlyList<CheckSpec> Checks)
{
    /// <summary>The object's identity and the run's, for job checks (null: the run has none).</summary>
    public CheckRunOwner? Owner { get; init; }

    /// <summary>What each pod goes through before its checks: the model identity question, the warm-up.</summary>
    public PodGates Gates { get; init; } = PodGates.None;

    /// <summary>A replay run: what to replay and the serving colour's pods to compare with.</summary>
    public ReplayRequest? Replay { get; init; }
}

/// <summary>A replay: the spec, and the serving colour's ready pods at <paramref name="ServingRevision"/> (none on a first release).</summary>
/// <param name="ServingColor">The colour compared with (the serving colour, or after the switch the warm standby).</param>
/// <param name="AfterSwitch">An analysis run's replay against the warm standby: without a standby pod there is nothing to compare, not a failure.</param>
public sealed record ReplayRequest(ReplaySpec Spec, string? ServingRevision, IReadOnlyList<CheckTarget> Serving, Color? ServingColor = null, bool AfterSwitch = false);
