namespace BlueGreenOperator.Plugin.Rendering;

/// <summary>What each phase means for the people on call, in one line.</summary>
internal static class PhaseMeaning
{
    public const string InvalidSpecReason = "InvalidSpec";

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
            Phase.Degraded when DegradedReason(item) == InvalidSpecReason =>
                "the spec is invalid; no workload was changed until it is fixed",
            Phase.Degraded => "the release failed before any switch; the active colour keeps serving",
            Phase.RolledBack => "traffic went back to the previous colour; the failed revision is marked aborted",
            _ => "a phase this plugin does not know; is it older than the operator?",
        };
    }

    /// <summary>The reason of a true Degraded condition, shown next to the phase.</summary>
    public static string? DegradedReason(BlueGreenDeployment item) =>
        item.Status?.Conditions?.FirstOrDefault(c => c.Type == StatusConditions.Degraded && c.Status == "True")?.Reason;
}
