using System.Text.Json;

namespace ModelServer.Inference;

/// <summary>A validated inference request: the rows to classify and the outputs asked for.</summary>
internal sealed record InferenceBatch(string? Id, IReadOnlyList<double[]> Rows, IReadOnlyList<string> Outputs);

/// <summary>An inference request the server refuses; the message tells the client what to fix.</summary>
internal sealed class InvalidInferenceRequestException(string message) : Exception(message);

/// <summary>
/// Reads an Open Inference Protocol v2 request body for a model with one input of shape [-1, features].
/// Tensor data may be flat or nested (row-major), as the protocol allows.
/// </summary>
internal static class InferenceRequestParser
{
    /// <summary>Bounds the memory one request can ask for.</summary>
    public const int MaxRows = 100_000;

    private static readonly string[] Datatypes = ["FP32", "FP64", "INT32", "INT64"];

    public static InferenceBatch Parse(ReadOnlyMemory<byte> body, ModelSignature signature)
    {
        if (body.IsEmpty)
        {
            throw new InvalidInferenceRequestException("The request body is empty; send a JSON object with \"inputs\".");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            throw new InvalidInferenceRequestException($"The request body is not valid JSON: {e.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidInferenceRequestException($"The request body must be a JSON object, not {Kind(root)}.");
            }

            string? id = null;
            if (root.TryGetProperty("id", out var idElement))
            {
                id = idElement.ValueKind == JsonValueKind.String
                    ? idElement.GetString()
                    : throw new InvalidInferenceRequestException($"\"id\" must be a string, not {Kind(idElement)}.");
            }

            var rows = ReadInputs(root, signature);
            var outputs = ReadRequestedOutputs(root, signature);
            return new InferenceBatch(id, rows, outputs);
        }
    }

    private static double[][] ReadInputs(JsonElement root, ModelSignature signature)
    {
        if (!root.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidInferenceRequestException("\"inputs\" must be an array of tensors.");
        }

        double[][]? rows = null;
        foreach (var input in inputs.EnumerateArray())
        {
            if (input.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidInferenceRequestException($"Each element of \"inputs\" must be an object, not {Kind(input)}.");
            }

            var name = RequiredString(input, "name", "input");
            if (name != signature.InputName)
            {
                throw new InvalidInferenceRequestException(
                    $"Unknown input '{name}'; model '{signature.ModelName}' has one input, '{signature.InputName}'.");
            }

            if (rows is not null)
            {
                throw new InvalidInferenceRequestException($"Input '{name}' is given more than once.");
            }

            rows = ReadTensor(input, name, signature.FeatureCount);
        }

        return rows ?? throw new InvalidInferenceRequestException(
            $"\"inputs\" must contain the tensor '{signature.InputName}' with shape [-1, {signature.FeatureCount}].");
    }

    private static double[][] ReadTensor(JsonElement input, string name, int featureCount)
    {
        var datatype = RequiredString(input, "datatype", $"input '{name}'");
        if (!Datatypes.Contains(datatype))
        {
            throw new InvalidInferenceRequestException(
                $"Input '{name}' has datatype '{datatype}'; supported datatypes are {string.Join(", ", Datatypes)}.");
        }

        var shape = ReadShape(input, name);
        if (shape.Length != 2 || shape[1] != featureCount || shape[0] is < 1 or > MaxRows)
        {
            throw new InvalidInferenceRequestException(
                $"Input '{name}' has shape [{string.Join(", ", shape)}]; expected [n, {featureCount}] with 1 <= n <= {MaxRows}.");
        }

        if (!input.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidInferenceRequestException($"Input '{name}' needs \"data\": an array of numbers, flat or nested.");
        }

        var values = new List<double>((int)shape[0] * featureCount);
        Flatten(data, datatype, name, shape, 0, values);
        var expected = shape[0] * featureCount;
        if (values.Count != expected)
        {
            throw new InvalidInferenceRequestException(
                $"Input '{name}' has {values.Count} values but shape [{string.Join(", ", shape)}] needs {expected}.");
        }

        var rows = new double[shape[0]][];
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r] = values.GetRange(r * featureCount, featureCount).ToArray();
        }

        return rows;
    }

    private static long[] ReadShape(JsonElement input, string name)
    {
        if (!input.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidInferenceRequestException($"Input '{name}' needs \"shape\": an array of integers.");
        }

        return shape.EnumerateArray()
            .Select(d => d.ValueKind == JsonValueKind.Number && d.TryGetInt64(out var size) && size >= 0
                ? size
                : throw new InvalidInferenceRequestException(
                    $"Input '{name}' has a shape dimension {d.GetRawText()}; dimensions are non-negative integers."))
            .ToArray();
    }

    /// <summary>
    /// Appends the values row-major. An array of arrays must match the shape at its depth, so that
    /// [[1, 2], [3, 4, 5, 6, 7, 8]] is refused for shape [2, 4] although it holds 8 values.
    /// </summary>
    private static void Flatten(JsonElement element, string datatype, string name, long[] shape, int dimension, List<double> values)
    {
        var nested = element.GetArrayLength() > 0 && element[0].ValueKind == JsonValueKind.Array;
        var expectedLength = nested ? shape[dimension] : shape[dimension..].Aggregate(1L, (product, size) => product * size);
        if ((nested && dimension >= shape.Length - 1) || ((dimension > 0 || nested) && element.GetArrayLength() != expectedLength))
        {
            throw new InvalidInferenceRequestException(
                $"Input '{name}' has nested data that does not match shape [{string.Join(", ", shape)}] at dimension {dimension}.");
        }

        foreach (var item in element.EnumerateArray())
        {
            if (nested != (item.ValueKind == JsonValueKind.Array))
            {
                throw new InvalidInferenceRequestException(
                    $"Input '{name}' mixes numbers and arrays at dimension {dimension} of its data.");
            }

            if (nested)
            {
                Flatten(item, datatype, name, shape, dimension + 1, values);
            }
            else
            {
                values.Add(ReadNumber(item, datatype, name, values.Count));
            }
        }
    }

    private static double ReadNumber(JsonElement item, string datatype, string name, int index)
    {
        if (item.ValueKind != JsonValueKind.Number)
        {
            throw new InvalidInferenceRequestException(
                $"Input '{name}' value #{index} is {Kind(item)} ({item.GetRawText()}); {datatype} data must be numbers.");
        }

        var valid = datatype switch
        {
            "INT32" => item.TryGetInt32(out var i32) ? i32 : (double?)null,
            "INT64" => item.TryGetInt64(out var i64) ? i64 : null,
            "FP32" => item.TryGetDouble(out var f32) && float.IsFinite((float)f32) ? (float)f32 : null,
            _ => item.TryGetDouble(out var f64) && double.IsFinite(f64) ? f64 : null,
        };

        return valid ?? throw new InvalidInferenceRequestException(
            $"Input '{name}' value #{index} ({item.GetRawText()}) is not a valid {datatype}.");
    }

    private static string[] ReadRequestedOutputs(JsonElement root, ModelSignature signature)
    {
        if (!root.TryGetProperty("outputs", out var outputs) || outputs.ValueKind == JsonValueKind.Null)
        {
            return [.. signature.OutputNames];
        }

        if (outputs.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidInferenceRequestException($"\"outputs\" must be an array, not {Kind(outputs)}.");
        }

        var names = new List<string>();
        foreach (var output in outputs.EnumerateArray())
        {
            if (output.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidInferenceRequestException($"Each element of \"outputs\" must be an object, not {Kind(output)}.");
            }

            var name = RequiredString(output, "name", "output");
            if (!signature.OutputNames.Contains(name))
            {
                throw new InvalidInferenceRequestException(
                    $"Unknown output '{name}'; model '{signature.ModelName}' has outputs {string.Join(", ", signature.OutputNames)}.");
            }

            names.Add(name);
        }

        return names.Count == 0 ? [.. signature.OutputNames] : [.. names.Distinct()];
    }

    private static string RequiredString(JsonElement element, string property, string owner) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new InvalidInferenceRequestException($"Each {owner} needs \"{property}\" as a string.");

    private static string Kind(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
