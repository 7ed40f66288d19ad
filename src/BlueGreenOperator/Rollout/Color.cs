namespace BlueGreenOperator.Rollout;

/// <summary>One of the two identical environments of a BlueGreenDeployment.</summary>
public enum Color
{
    Blue,
    Green,
}

public static class ColorNames
{
    public static Color Other(this Color color) => color == Color.Blue ? Color.Green : Color.Blue;

    public static string Label(this Color color) => color == Color.Blue ? "blue" : "green";

    public static Color? Parse(string? value) => value switch
    {
        "blue" => Color.Blue,
        "green" => Color.Green,
        _ => null,
    };
}
