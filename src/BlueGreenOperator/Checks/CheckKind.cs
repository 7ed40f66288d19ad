namespace BlueGreenOperator.Checks;

/// <summary>Smoke tests gate the switch; analysis watches the active colour after it.</summary>
public enum CheckKind
{
    Smoke,
    Analysis,

    /// <summary>The warm standby's pods warmed up during stabilization (row W3): judges nothing.</summary>
    Warmup,

    /// <summary>Recorded requests replayed against the new and the serving colour before the switch (spec.replay).</summary>
    Replay,
}

public static class CheckKindNames
{
    public static string Label(this CheckKind kind) => kind switch
    {
        CheckKind.Smoke => "smoke",
        CheckKind.Warmup => "warmup",
        CheckKind.Replay => "replay",
        _ => "analysis",
    };
}
