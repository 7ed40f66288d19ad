using BlueGreenOperator.Api;

namespace BlueGreenOperator.Rollout;

/// <summary>What the cluster says about one colour's Deployment.</summary>
public sealed record ObservedDeployment(
    Color Color,
    string? Revision,
    string? ModelVersion,
    int DesiredReplicas,
    long Generation,
    long ObservedGeneration,
    int Replicas,
    int UpdatedReplicas,
    int AvailableReplicas)
{
    /// <summary>The controller caught up and every desired pod runs the current template and is available.</summary>
    public bool IsRolledOut =>
        ObservedGeneration >= Generation
        && UpdatedReplicas == DesiredReplicas
        && AvailableReplicas == DesiredReplicas
        && Replicas == DesiredReplicas;
}

/// <summary>What the cluster says about a Service: which colour its selector picks, if any.</summary>
public sealed record ObservedService(string Name, Color? SelectedColor);

/// <summary>The outcome of running checks against the ready pods of one colour at one revision.</summary>
public sealed record CheckReport(Color Color, string Revision, IReadOnlyList<CheckResult> Results, int PodsTested)
{
    public bool Passed => PodsTested > 0 && Results.All(r => r.Passed);

    public string Summary
    {
        get
        {
            var failed = Results.Where(r => !r.Passed).ToList();
            if (PodsTested == 0)
                return "no ready pod to check";
            if (failed.Count == 0)
                return $"{Results.Count} checks passed on {PodsTested} pods";
            var first = failed[0];
            return $"{failed.Count} of {Results.Count} checks failed; first: {first.Name} on {first.Pod}: {first.Message}";
        }
    }
}

/// <summary>Everything one planning decision looks at.</summary>
public sealed record ObservedState(
    BlueGreenDeployment Resource,
    ObservedDeployment? Blue,
    ObservedDeployment? Green,
    ObservedService? ActiveService,
    ObservedService? PreviewService,
    DateTime Now,
    CheckReport? SmokeTests = null,
    CheckReport? Analysis = null)
{
    public ObservedDeployment? Deployment(Color color) => color == Color.Blue ? Blue : Green;
}
