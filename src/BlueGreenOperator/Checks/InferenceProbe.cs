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
    public static async Task<string?> AttemptAsync(ProbeContext probe, InferenceCheckSpec spec, Uri address, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, address)
        {
            Content = new ByteArrayContent(RequestBody(spec)) { Headers = { ContentType = new("application/json") } },
        };
        probe.AddSecretHeaders(request, spec.SecretHeaders);
        using var response = await ProbeResponse.SendAsync(probe, request, ct);
        if ((int)response.Status != 200)
            return response.StatusMismatch(200);

        Dictionary<string, List<double>> outputs;
        try
        {
            outputs = ParseOutputs(response.Body.Span);
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
                return $"output \"{expected.Name}\" missing; outputs: [{probe.Redactor.Shorten(string.Join(", ", outputs.Keys), ProbeResponse.ExcerptChars)}]";
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

    /// <summary>
    /// Reads <c>outputs[].name</c> and <c>outputs[].data</c> straight from the response's bytes with a forward-only
    /// reader: no document is built, every other field is skipped.
    /// </summary>
    internal static Dictionary<string, List<double>> ParseOutputs(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
        var byName = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var sawOutputs = false;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new ProbeFailedException("inference response has no \"outputs\" array");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isOutputs = reader.ValueTextEquals("outputs"u8);
            reader.Read();
            if (!isOutputs)
            {
                reader.Skip();
                continue;
            }

            if (reader.TokenType != JsonTokenType.StartArray)
                throw new ProbeFailedException("inference response has no \"outputs\" array");
            sawOutputs = true;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var (name, values) = ReadOutput(ref reader);
                byName[name] = values;
            }
        }

        // Anything after the root object is malformed JSON; the reader throws on it.
        while (reader.Read())
        {
        }

        return sawOutputs ? byName : throw new ProbeFailedException("inference response has no \"outputs\" array");
    }

    static (string Name, List<double> Values) ReadOutput(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new ProbeFailedException("inference response has an output without a name");
        string? name = null;
        var values = new List<double>();
        JsonTokenType? badData = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                    throw new ProbeFailedException("inference response has an output without a name");
                name = reader.GetString();
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                reader.Read();
                values.Clear();
                badData = Flatten(ref reader, values);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (name is null)
            throw new ProbeFailedException("inference response has an output without a name");
        if (badData is { } kind)
            throw new ProbeFailedException($"output \"{name}\" holds {Describe(kind)} data, not numbers or booleans");
        return (name, values);
    }

    /// <summary>
    /// OIP v2 allows row-major nested arrays as well as flat data: the reader stands on the value of <c>data</c>.
    /// Returns the first token that is not a number or boolean.
    /// </summary>
    static JsonTokenType? Flatten(ref Utf8JsonReader reader, List<double> into)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            return Take(ref reader, into);
        JsonTokenType? bad = null;
        var depth = reader.CurrentDepth;
        while (reader.Read() && !(reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == depth))
        {
            if (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.EndArray)
                continue;
            var token = Take(ref reader, into);
            bad ??= token;
        }

        return bad;
    }

    static JsonTokenType? Take(ref Utf8JsonReader reader, List<double> into)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                // A literal double cannot hold is no prediction: NaN fails every tolerance (an overflow reads as infinity).
                into.Add(reader.TryGetDouble(out var value) ? value : double.NaN);
                return null;
            case JsonTokenType.True:
                into.Add(1);
                return null;
            case JsonTokenType.False:
                into.Add(0);
                return null;
            case JsonTokenType.StartObject:
                reader.Skip();
                return JsonTokenType.StartObject;
            default:
                return reader.TokenType;
        }
    }

    static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.String => "string",
        JsonTokenType.Null => "null",
        _ => token.ToString().ToLowerInvariant(),
    };

    static string Show(IEnumerable<double> values)
    {
        var list = values.ToList();
        var shown = string.Join(", ", list.Take(ShownValues).Select(Number));
        return list.Count > ShownValues ? $"[{shown}, … {list.Count - ShownValues} more]" : $"[{shown}]";
    }

    static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
