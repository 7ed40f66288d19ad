using System.Globalization;
using System.Text.Json;
using BlueGreenOperator.Api;

namespace BlueGreenOperator.Checks;

/// <summary>Instant PromQL queries against the Prometheus the operator is configured with (none: analysis queries fail).</summary>
public sealed class PrometheusClient(Uri? baseAddress)
{
    public Uri? BaseAddress { get; } = baseAddress;

    /// <returns>Null when the query's first sample lies within [min, max], otherwise why not.</returns>
    internal async Task<string?> AttemptAsync(ProbeContext probe, PrometheusCheckSpec spec, CancellationToken ct)
    {
        if (BaseAddress is null)
            return "no Prometheus configured";
        var sample = await QueryAsync(probe, spec.Query, ct);
        if (double.IsNaN(sample))
            return $"query returned NaN: {spec.Query}";
        var shown = sample.ToString("R", CultureInfo.InvariantCulture);
        if (spec.Min is { } min && sample < min)
            return $"value {shown} below min {min.ToString("R", CultureInfo.InvariantCulture)}: {spec.Query}";
        if (spec.Max is { } max && sample > max)
            return $"value {shown} above max {max.ToString("R", CultureInfo.InvariantCulture)}: {spec.Query}";
        return null;
    }

    /// <summary>The first sample of an instant query: <c>data.result[0].value[1]</c> of a vector, or a scalar's value.</summary>
    internal async Task<double> QueryAsync(ProbeContext probe, string query, CancellationToken ct)
    {
        if (BaseAddress is null)
            throw new InvalidOperationException("no Prometheus configured");
        var address = new Uri($"{BaseAddress.AbsoluteUri.TrimEnd('/')}/api/v1/query?query={Uri.EscapeDataString(query)}");
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        using var response = await ProbeResponse.SendAsync(probe, request, ct);
        if ((int)response.Status != 200)
            throw new ProbeFailedException($"Prometheus answered {response.StatusMismatch(200)}");
        try
        {
            using var document = JsonDocument.Parse(response.Body, new JsonDocumentOptions { MaxDepth = 64 });
            return FirstSample(document.RootElement, query);
        }
        catch (JsonException ex)
        {
            throw new ProbeFailedException($"Prometheus answered with invalid JSON ({ex.Message}); body: {response.Excerpt}");
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new ProbeFailedException($"Prometheus answer has an unexpected shape; body: {response.Excerpt}");
        }
    }

    static double FirstSample(JsonElement root, string query)
    {
        if (root.TryGetProperty("status", out var status) && status.GetString() != "success")
            throw new ProbeFailedException($"Prometheus query failed: {(root.TryGetProperty("error", out var error) ? error.GetString() : status.GetString())}");
        var data = root.GetProperty("data");
        var result = data.GetProperty("result");
        var resultType = data.TryGetProperty("resultType", out var type) ? type.GetString() : null;
        JsonElement pair;
        if (resultType == "scalar")
            pair = result;
        else if (resultType == "vector" && result.GetArrayLength() > 0)
            pair = result[0].GetProperty("value");
        else if (resultType == "vector")
            throw new ProbeFailedException($"query returned no samples: {query}");
        else
            throw new ProbeFailedException($"query returned a {resultType ?? "result of no type"}, not a vector or scalar: {query}");
        return ParseSample(pair[1].GetString());
    }

    static double ParseSample(string? text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) => value,
        _ => throw new ProbeFailedException($"Prometheus sample \"{text}\" is not a number"),
    };
}
