using System.Globalization;
using System.Text.Json.Nodes;

namespace BlueGreenOperator.ModelServer.Tests;

/// <summary>Builds Open Inference Protocol v2 requests and reads their answers.</summary>
internal static class InferenceMessages
{
    public static readonly double[] Setosa = [5.1, 3.5, 1.4, 0.2];

    /// <summary>Row 71 of the data set (a versicolor): v1 says virginica, v2 says versicolor.</summary>
    public static readonly double[] Borderline = [5.9, 3.2, 4.8, 1.8];

    public static object Request(params double[][] rows) => new
    {
        inputs = new[]
        {
            new { name = "input-0", shape = new[] { rows.Length, 4 }, datatype = "FP32", data = rows.SelectMany(r => r).ToArray() },
        },
    };

    public static JsonNode Output(JsonNode? response, string name) =>
        response!["outputs"]!.AsArray().Single(o => (string?)o!["name"] == name)!;

    public static long[] Classes(JsonNode? response) =>
        Output(response, "output-0")["data"]!.AsArray().Select(v => v!.GetValue<long>()).ToArray();

    public static double[] Probabilities(JsonNode? response) =>
        Output(response, "probabilities")["data"]!.AsArray().Select(v => v!.GetValue<double>()).ToArray();
}

/// <summary>Reads single samples out of a Prometheus text exposition.</summary>
internal static class PrometheusText
{
    /// <summary>The value of the sample with exactly this name and label set, 0 when absent.</summary>
    public static double Sample(string exposition, string series)
    {
        var line = exposition.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
