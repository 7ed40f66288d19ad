using System.Globalization;
using System.Text.Json;
using BlueGreenOperator.Api;
using BlueGreenOperator.Checks.Queries;

namespace BlueGreenOperator.Checks;

/// <summary>
/// Instant PromQL queries against the Prometheus the operator is configured with (none: analysis queries fail), each
/// scoped to the namespace of the object it judges (<see cref="ScopedQuery"/>). A failure says how the value stands
/// to the check's bound, never the value itself: what a check reports is no more than its threshold asks.
/// </summary>
public sealed class PrometheusClient(Uri? baseAddress)
{
    const int ShownErrorChars = 160;

    public Uri? BaseAddress { get; } = baseAddress;

    /// <returns>Null when the query's first sample lies within [min, max], otherwise why not.</returns>
    internal async Task<string?> AttemptAsync(ProbeContext probe, PrometheusCheckSpec spec, string ns, CancellationToken ct)
    {
        if (BaseAddress is null)
            return "no Prometheus configured";
        if (ScopedQuery.Scope(spec.Query, ns, out var problem) is not { } scoped)
            return $"query refused: {problem}";
        var sample = await QueryAsync(probe, scoped, ct);
        if (double.IsNaN(sample))
            return "query returned NaN";
        if (spec.Min is { } min && sample < min)
            return $"value below min {min.ToString("R", CultureInfo.InvariantCulture)}";
        if (spec.Max is { } max && sample > max)
            return $"value above max {max.ToString("R", CultureInfo.InvariantCulture)}";
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
        try
        {
            using var document = JsonDocument.Parse(response.Body, new JsonDocumentOptions { MaxDepth = 64 });
            return FirstSample(document.RootElement, (int)response.Status);
        }
        catch (JsonException)
        {
            throw new ProbeFailedException($"Prometheus answered {(int)response.Status} without a query result");
        }
        catch (Exception ex) when (ex is KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            throw new ProbeFailedException($"Prometheus answered {(int)response.Status} with an unexpected shape");
        }
    }

    static double FirstSample(JsonElement root, int status)
    {
        if (status != 200 || (root.TryGetProperty("status", out var outcome) && outcome.GetString() != "success"))
        {
            // Prometheus' own words (a parse error, a timeout, too many samples), shortened; they carry no sample.
            var error = root.TryGetProperty("error", out var text) ? text.GetString() : null;
            var type = root.TryGetProperty("errorType", out var kind) ? kind.GetString() : null;
            throw new ProbeFailedException($"Prometheus query failed ({status}{(type is null ? "" : " " + type)}): {ProbeResponse.Shorten(error ?? "no reason given", ShownErrorChars)}");
        }

        var data = root.GetProperty("data");
        var result = data.GetProperty("result");
        var resultType = data.TryGetProperty("resultType", out var resultKind) ? resultKind.GetString() : null;
        JsonElement pair;
        if (resultType == "scalar")
            pair = result;
        else if (resultType == "vector" && result.GetArrayLength() > 0)
            pair = result[0].GetProperty("value");
        else if (resultType == "vector")
            throw new ProbeFailedException("query returned no samples");
        else
            throw new ProbeFailedException($"query returned a {resultType ?? "result of no type"}, not a vector or scalar");
        return ParseSample(pair[1].GetString());
    }

    static double ParseSample(string? text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) => value,
        _ => throw new ProbeFailedException("Prometheus answered a sample that is not a number"),
    };
}
