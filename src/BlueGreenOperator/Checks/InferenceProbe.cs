using System.Globalization;
using System.Text.Json;
using BlueGreenOperator.Api;

namespace BlueGreenOperator.Checks;

/// <summary>One Open Inference Protocol v2 (REST) prediction against one pod, compared with golden outputs.</summary>
internal static class InferenceProbe
{
    const int ShownValues = 8;

    /// <summary>The model's infer endpoint, with its name and version escaped so that they stay one path segment each.</summary>
    public static string InferPath(InferenceCheckSpec spec) =>
        string.IsNullOrEmpty(spec.ModelVersion)
            ? $"/v2/models/{Uri.EscapeDataString(spec.Model)}/infer"
            : $"/v2/models/{Uri.EscapeDataString(spec.Model)}/versions/{Uri.EscapeDataString(spec.ModelVersion)}/infer";

    /// <returns>Null when every expected output matches, otherwise why not.</returns>
    public static async Task<string?> AttemptAsync(HttpClient http, InferenceCheckSpec spec, Uri address, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, address)
        {
            Content = new ByteArrayContent(RequestBody(spec)) { Headers = { ContentType = new("application/json") } },
        };
        var response = await ProbeResponse.SendAsync(http, request, ct);
        if ((int)response.Status != 200)
            return response.StatusMismatch(200);

        Dictionary<string, List<double>> outputs;
        try
        {
            outputs = ParseOutputs(response.Body);
        }
        catch (JsonException ex)
        {
            return $"inference response is not valid JSON ({ex.Message}); body: {response.Excerpt}";
        }
        catch (ProbeFailedException ex)
        {
            return $"{ex.Message}; body: {response.Excerpt}";
        }

        foreach (var expected in spec.ExpectOutputs)
        {
            if (!outputs.TryGetValue(expected.Name, out var actual))
                return $"output \"{expected.Name}\" missing; outputs: [{string.Join(", ", outputs.Keys)}]";
            if (actual.Count != expected.Data.Count)
                return $"output \"{expected.Name}\": expected {expected.Data.Count} values {Show(expected.Data)}, actual {actual.Count} values {Show(actual)}";
            for (var i = 0; i < actual.Count; i++)
            {
                // NaN never lies within any tolerance, so the negated comparison fails it too.
                if (!(Math.Abs(actual[i] - expected.Data[i]) <= expected.Tolerance))
                    return $"output \"{expected.Name}\": expected {Show(expected.Data)}, actual {Show(actual)} "
                        + $"(element {i}: {Number(actual[i])} vs {Number(expected.Data[i])}, tolerance {Number(expected.Tolerance)})";
            }
        }
        return null;
    }

    static byte[] RequestBody(InferenceCheckSpec spec)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("inputs");
            foreach (var input in spec.Inputs)
            {
                json.WriteStartObject();
                json.WriteString("name", input.Name);
                json.WriteStartArray("shape");
                foreach (var dimension in input.Shape)
                    json.WriteNumberValue(dimension);
                json.WriteEndArray();
                json.WriteString("datatype", input.Datatype);
                json.WriteStartArray("data");
                var isBool = string.Equals(input.Datatype, "BOOL", StringComparison.OrdinalIgnoreCase);
                foreach (var value in input.Data)
                {
                    if (isBool)
                        json.WriteBooleanValue(value != 0);
                    else if (double.IsFinite(value))
                        json.WriteNumberValue(value);
                    else
                        throw new ProbeFailedException($"input \"{input.Name}\" holds {value}, which JSON cannot carry");
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    static Dictionary<string, List<double>> ParseOutputs(string body)
    {
        using var document = JsonDocument.Parse(body);
        if (document.RootElement.ValueKind != JsonValueKind.Object
            || !document.RootElement.TryGetProperty("outputs", out var outputs)
            || outputs.ValueKind != JsonValueKind.Array)
            throw new ProbeFailedException("inference response has no \"outputs\" array");

        var byName = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var output in outputs.EnumerateArray())
        {
            if (output.ValueKind != JsonValueKind.Object
                || !output.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                throw new ProbeFailedException("inference response has an output without a name");
            var values = new List<double>();
            if (output.TryGetProperty("data", out var data))
                Flatten(data, name.GetString()!, values);
            byName[name.GetString()!] = values;
        }
        return byName;
    }

    /// <summary>OIP v2 allows row-major nested arrays as well as flat data.</summary>
    static void Flatten(JsonElement data, string output, List<double> into)
    {
        switch (data.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var item in data.EnumerateArray())
                    Flatten(item, output, into);
                break;
            case JsonValueKind.Number:
                into.Add(data.GetDouble());
                break;
            case JsonValueKind.True:
                into.Add(1);
                break;
            case JsonValueKind.False:
                into.Add(0);
                break;
            default:
                throw new ProbeFailedException($"output \"{output}\" holds {data.ValueKind.ToString().ToLowerInvariant()} data, not numbers or booleans");
        }
    }

    static string Show(IEnumerable<double> values)
    {
        var list = values.ToList();
        var shown = string.Join(", ", list.Take(ShownValues).Select(Number));
        return list.Count > ShownValues ? $"[{shown}, … {list.Count - ShownValues} more]" : $"[{shown}]";
    }

    static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
