using System.Text;
using System.Text.Json;

namespace BlueGreenOperator.Checks.Replay;

/// <summary>One recorded request: its line in the data set, the request body, and the outputs it should produce, if known.</summary>
public sealed record ReplayLine(int Number, byte[] Request, IReadOnlyDictionary<string, double[]>? Expected);

/// <summary>A data set that cannot be replayed: too large, malformed or empty. The message names the line.</summary>
public sealed class ReplayDataException(string message) : Exception(message);

/// <summary>
/// The replay data set: JSON Lines, each line either an Open Inference Protocol v2 request
/// (<c>{"inputs": [...]}</c>) or <c>{"request": {...}, "expected": {"output-0": [1]}}</c>. Blank lines are skipped.
/// Bounded, so that a data set cannot make the operator hold or send more than a release gate needs.
/// </summary>
public static class ReplayDataSet
{
    /// <summary>The largest data set read (a ConfigMap holds at most 1 MiB anyway).</summary>
    public const int MaxBytes = 1024 * 1024;

    public const int MaxLines = 10_000;

    /// <summary>The most lines sent to each colour in one replay.</summary>
    public const int MaxSample = 5_000;

    public static IReadOnlyList<ReplayLine> Parse(string text, string source)
    {
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > MaxBytes)
            throw new ReplayDataException($"{source} holds {bytes} bytes, over the bound of {MaxBytes} bytes (1 MiB)");
        var lines = new List<ReplayLine>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line))
                continue;
            if (lines.Count == MaxLines)
                throw new ReplayDataException($"{source} holds more than {MaxLines} lines, over the bound");
            lines.Add(ParseLine(line, number, source));
        }

        return lines.Count > 0 ? lines : throw new ReplayDataException($"{source} holds no request");
    }

    /// <summary>
    /// <paramref name="size"/> lines spread evenly over the data set in its order (every line when unset or larger):
    /// the same data set and size always give the same sample.
    /// </summary>
    public static IReadOnlyList<ReplayLine> Sample(IReadOnlyList<ReplayLine> lines, int? size)
    {
        var count = Math.Min(Math.Min(size ?? lines.Count, lines.Count), MaxSample);
        if (count >= lines.Count)
            return lines;
        return [.. Enumerable.Range(0, Math.Max(count, 0)).Select(i => lines[(int)((long)i * lines.Count / count)])];
    }

    static ReplayLine ParseLine(string line, int number, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new ReplayDataException($"{source} line {number} is not JSON: {e.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new ReplayDataException($"{source} line {number} is not a JSON object");
            var isWrapped = root.TryGetProperty("request", out var wrapped);
            var request = isWrapped ? wrapped : root;
            if (request.ValueKind != JsonValueKind.Object || !request.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
                throw new ReplayDataException($"{source} line {number} has no \"inputs\" array (a request, or {{\"request\": …, \"expected\": …}})");
            var expected = isWrapped && root.TryGetProperty("expected", out var outputs)
                ? Expected(outputs, number, source)
                : null;
            return new ReplayLine(number, Encoding.UTF8.GetBytes(request.GetRawText()), expected);
        }
    }

    static Dictionary<string, double[]> Expected(JsonElement outputs, int number, string source)
    {
        if (outputs.ValueKind != JsonValueKind.Object)
            throw new ReplayDataException($"{source} line {number}: \"expected\" must map output names to values");
        var expected = new Dictionary<string, double[]>(StringComparer.Ordinal);
        foreach (var output in outputs.EnumerateObject())
        {
            var values = new List<double>();
            if (!Flatten(output.Value, values))
                throw new ReplayDataException($"{source} line {number}: expected \"{output.Name}\" must be numbers");
            expected[output.Name] = [.. values];
        }

        return expected;
    }

    static bool Flatten(JsonElement value, List<double> into)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                into.Add(value.GetDouble());
                return true;
            case JsonValueKind.True or JsonValueKind.False:
                into.Add(value.ValueKind == JsonValueKind.True ? 1 : 0);
                return true;
            case JsonValueKind.Array:
                return value.EnumerateArray().All(item => Flatten(item, into));
            default:
                return false;
        }
    }
}
