namespace BlueGreenOperator.Checks;

/// <summary>Smoke tests gate the switch; analysis watches the active colour after it.</summary>
public enum CheckKind
{
    Smoke,
    Analysis,
}

public static class CheckKindNames
{
    public static string Label(this CheckKind kind) => kind == CheckKind.Smoke ? "smoke" : "analysis";
}
