using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;

namespace BlueGreenOperator.Checks;

/// <summary>Runs checks of one kind against pods of one colour and reports every result.</summary>
public interface ICheckRunner
{
    Task<CheckReport> RunAsync(CheckKind kind, Color color, string revision, IReadOnlyList<CheckTarget> pods, IReadOnlyList<CheckSpec> checks, CancellationToken ct);
}
