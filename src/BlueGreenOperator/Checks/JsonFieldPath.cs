using System.Globalization;
using System.Text.Json;

namespace BlueGreenOperator.Checks;

/// <summary>A dot path into a JSON document: object keys and array indices, e.g. <c>outputs.0.name</c>.</summary>
internal static class JsonFieldPath
{
    public static bool TryResolve(JsonElement root, string path, out JsonElement value)
    {
        value = root;
        if (path.Length == 0)
            return true;
        foreach (var segment in path.Split('.'))
        {
            if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty(segment, out var child))
                value = child;
            else if (value.ValueKind == JsonValueKind.Array
                && int.TryParse(segment, NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                && index < value.GetArrayLength())
                value = value[index];
            else
                return false;
        }
        return true;
    }

    /// <summary>The form an expectation is written in: strings raw, numbers invariant, booleans lowercase, null "null".</summary>
    public static string TextOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() ?? "",
        JsonValueKind.Number when value.TryGetInt64(out var whole) => whole.ToString(CultureInfo.InvariantCulture),
        JsonValueKind.Number => value.GetDouble().ToString("R", CultureInfo.InvariantCulture),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        _ => value.GetRawText(),
    };
}
