namespace BlueGreenOperator.Plugin.Rendering;

/// <summary>What a reason of the Degraded condition means, and what the person on call does about it.</summary>
internal sealed record ReasonMeaning(string Meaning, Func<string, string> ToDo);

/// <summary>What each phase and each Degraded reason means for the people on call, in one line each.</summary>
internal static class PhaseMeaning
{
    /// <summary>Every reason the operator gives the Degraded condition; the phase is Degraded (RolledBack after a rollback).</summary>
    public static readonly IReadOnlyDictionary<string, ReasonMeaning> DegradedReasons = new Dictionary<string, ReasonMeaning>(StringComparer.Ordinal)
    {
        ["InvalidSpec"] = new(
            "the spec breaks a rule the API server cannot check; no workload was changed",
            _ => "fix the spec as the message says and apply it again"),
        ["NameConflict"] = new(
            "a Deployment or Service with one of this object's names belongs to someone else; the operator leaves it alone and writes nothing",
            _ => "rename spec.service.name or the object, or remove the other object; the operator looks again every 10 seconds"),
        ["WriteRefused"] = new(
            "the API server refused one of the operator's writes (quota, admission webhook, validation or a server error; the message gives its reason); the rollout waits at that step",
            _ => "remove the cause (e.g. raise the ResourceQuota, fix the webhook or the spec); the operator retries the write with back-off"),
        ["TemplateLost"] = new(
            "the serving Deployment was deleted or edited by hand and the serving revision's template is no longer kept, so the operator cannot restore it",
            _ => "check what still serves (kubectl get endpoints), then apply the serving revision's spec again or release a new revision"),
        ["RollbackImpossible"] = new(
            "the serving revision failed its analysis but no warm standby was left to roll back to; it keeps serving",
            name => $"release a fixed revision by changing the spec, or accept the serving one with kubectl bluegreen retry {name}"),
        ["ReleaseAborted"] = new(
            "the spec asks for a revision that was aborted or rolled back; it stays scaled down and the colour that served before (if any) keeps serving",
            name => $"change the spec to a fixed revision, or release this one again with kubectl bluegreen retry {name}"),
        ["SmokeTestsFailed"] = new(
            "the new revision failed its smoke tests, so it never took traffic; it was scaled to 0 and the colour that served before (if any) keeps serving",
            name => $"read the failing checks and pods below, fix the model or the checks and change the spec, or kubectl bluegreen retry {name}"),
        ["ProgressDeadlineExceeded"] = new(
            "the new revision was not available and tested within strategy.progressDeadlineSeconds, so it never took traffic; it was scaled to 0 and the colour that served before (if any) keeps serving",
            name => $"look at the new colour's pods and events (image, scheduling, readiness), then change the spec or kubectl bluegreen retry {name}"),
        ["InsufficientCapacity"] = new(
            "pods of the new revision could not be scheduled (the scheduler's words are in the message, e.g. Insufficient nvidia.com/gpu) for strategy.insufficientCapacitySeconds, or at once with onInsufficientCapacity: Abort; it never took traffic and the colour that served before (if any) keeps serving",
            name => $"free or add the capacity the message names (or lower the template's requests), then kubectl bluegreen retry {name}"),
        ["ParityFailed"] = new(
            "the new revision's replay of recorded requests (spec.replay) missed a bound against the serving version (agreement, accuracy, errors or p95 latency), so it never took traffic; it was scaled to 0 and the colour that served before (if any) keeps serving",
            name => $"read status.parity (the numbers and the first disagreeing lines), fix the model or the bounds and change the spec, or kubectl bluegreen retry {name}"),
        ["Aborted"] = new(
            "the release was stopped by the abort action before it took traffic; the colour that served before (if any) keeps serving",
            name => $"change the spec to release another revision, or kubectl bluegreen retry {name} to release this one again"),
        ["RolledBack"] = new(
            "analysis failed after the switch (or a rollback was requested) and traffic went back to the previous colour; the revision that served is marked aborted",
            name => $"read the analysis results below, fix and change the spec, or kubectl bluegreen retry {name} to release it again"),
    };

    public static string Describe(BlueGreenDeployment item)
    {
        var name = item.Metadata.Name;
        var phase = item.Status?.Phase;
        return phase switch
        {
            null or "" => "not reconciled yet; is the operator running and watching this namespace?",
            Phase.Initializing => "bringing up the first release; nothing serves traffic yet",
            Phase.Progressing => "the new colour is being rolled out; the active colour keeps serving",
            Phase.Testing => "smoke tests run against every pod of the new colour; the active colour keeps serving",
            Phase.Paused => $"the new colour passed its smoke tests and waits for: kubectl bluegreen promote {name}",
            Phase.Promoting => "the new colour scales to full size; then the Service switches to it in one write",
            Phase.Stabilizing => "traffic switched; analysis watches the new colour while the old one stays as warm standby",
            Phase.Healthy => "the active colour serves; no release is in progress",
            Phase.Degraded when Reason(item) is { } meaning => meaning.Meaning,
            Phase.Degraded => "something failed; the message, the conditions and the events below say what",
            Phase.RolledBack => "traffic went back to the previous colour; the failed revision is marked aborted",
            _ => "a phase this plugin does not know; is it older than the operator?",
        };
    }

    /// <summary>The reason of a true Degraded condition, shown next to the phase.</summary>
    public static string? DegradedReason(BlueGreenDeployment item) =>
        item.Status?.Conditions?.FirstOrDefault(c => c.Type == StatusConditions.Degraded && c.Status == "True")?.Reason;

    /// <summary>What the reason of a true Degraded condition means, or null when there is none or the plugin does not know it.</summary>
    public static ReasonMeaning? Reason(BlueGreenDeployment item) =>
        DegradedReason(item) is { } reason && DegradedReasons.TryGetValue(reason, out var meaning) ? meaning : null;
}
