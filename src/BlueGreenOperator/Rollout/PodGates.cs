using BlueGreenOperator.Api;

namespace BlueGreenOperator.Rollout;

/// <summary>The model a pod must say it serves, asked on <paramref name="Port"/> in <paramref name="Mode"/> (<see cref="IdentityMode"/>).</summary>
public sealed record ModelIdentity(string Model, string Version, string Mode, int Port);

/// <summary>
/// What a per-pod run does before its checks: ask the pod which model it serves (rows M1, M2), then warm it up
/// (rows W1, W3). Which of them a run carries depends on what the run is for.
/// </summary>
public sealed record PodGates(ModelIdentity? Identity, WarmupSpec? Warmup)
{
    public static readonly PodGates None = new(null, null);

    /// <summary>The name of the identity question among a run's results (a check may not take it).</summary>
    public const string IdentityCheck = "model-identity";

    public bool Any => Identity is not null || Warmup is not null;

    /// <summary>Before smoke tests: identity and warm-up.</summary>
    public static PodGates BeforeSmokeTests(BlueGreenDeploymentSpec spec) => new(IdentityOf(spec), WarmupOf(spec));

    /// <summary>An analysis run: identity only (a pod changed by hand to serve another model is caught after the switch).</summary>
    public static PodGates ForAnalysis(BlueGreenDeploymentSpec spec) => new(IdentityOf(spec), null);

    /// <summary>The standby kept warm: warm-up only.</summary>
    public static PodGates ForStandby(BlueGreenDeploymentSpec spec) => new(null, WarmupOf(spec));

    /// <summary>The identity question of the spec; null when it is switched off (mode None).</summary>
    public static ModelIdentity? IdentityOf(BlueGreenDeploymentSpec spec)
    {
        var identity = spec.Model.Identity ?? new ModelIdentitySpec();
        if (identity.Mode == IdentityMode.None)
            return null;
        var port = identity.Port ?? spec.Service.Ports.FirstOrDefault()?.TargetPort ?? 0;
        return new ModelIdentity(spec.Model.Name, spec.Model.Version, identity.Mode, port);
    }

    public static WarmupSpec? WarmupOf(BlueGreenDeploymentSpec spec) => spec.Warmup is { Requests.Count: > 0 } warmup ? warmup : null;
}

/// <summary>When a pod's warm-up stops (rows W1, W3): after <c>count</c> rounds, and with a stable window, once the last rounds agree.</summary>
public static class WarmupRule
{
    /// <param name="rounds">The latency of each round so far, in milliseconds.</param>
    public static bool Done(WarmupSpec warmup, IReadOnlyList<long> rounds)
    {
        var count = Math.Max(1, warmup.Count);
        if (rounds.Count < count)
            return false;
        var window = warmup.StableWindow;
        if (window <= 0 || rounds.Count >= Math.Max(count, warmup.MaxCount))
            return true;
        if (rounds.Count < window)
            return false;
        var last = rounds.Skip(rounds.Count - window).ToList();
        // One millisecond of slack: the clock's granularity must not keep a fast pod warming up.
        return last.Max() <= (warmup.StableRatio * last.Min()) + 1;
    }
}
