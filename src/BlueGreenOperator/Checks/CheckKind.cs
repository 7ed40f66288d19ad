namespace BlueGreenOperator.Checks;

/// <summary>Smoke tests gate the switch; analysis watches the active colour after it.</summary>
public enum CheckKind
{
    Smoke,
    Analysis,

    /// <summary>Recorded requests replayed against the new and the serving colour before the switch (spec.replay).</summary>
    Replay,
}

public static class CheckKindNames
{
    public static string Label(this CheckKind kind) => kind switch
    {
        CheckKind.Smoke => "smoke",
        CheckKind.Replay => "replay",
        _ => "analysis",
    };
}
