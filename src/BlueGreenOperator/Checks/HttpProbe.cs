using System.Text;
using System.Text.Json;
using BlueGreenOperator.Api;

namespace BlueGreenOperator.Checks;

/// <summary>One attempt of an HTTP check against one pod.</summary>
internal static class HttpProbe
{
    static readonly JsonDocumentOptions Json = new() { MaxDepth = 64 };

    /// <returns>Null when the response is what the check expects, otherwise why not.</returns>
    public static async Task<string?> AttemptAsync(ProbeContext probe, HttpCheckSpec spec, Uri address, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(ParseMethod(spec.Method), address);
        if (spec.Body is not null)
            request.Content = new StringContent(spec.Body, Encoding.UTF8, IsJson(spec.Body) ? "application/json" : "text/plain");
        foreach (var (name, value) in spec.Headers ?? new Dictionary<string, string>())
            AddHeader(request, name, value);
        probe.AddSecretHeaders(request, spec.SecretHeaders);

        using var response = await ProbeResponse.SendAsync(probe, request, ct);
        if ((int)response.Status != spec.ExpectStatus)
            return response.StatusMismatch(spec.ExpectStatus);
        if (spec.ExpectBodyContains is { Length: > 0 } needle && !response.Contains(needle))
            return $"body does not contain \"{needle}\"; body: {response.Excerpt}";
        return spec.ExpectJson is { Count: > 0 } fields ? CompareFields(probe, response, fields) : null;
    }

    static string? CompareFields(ProbeContext probe, ProbeResponse response, IList<JsonFieldExpectation> fields)
    {
        JsonDocument document;
        try
        {
            // Parsed in place: the document indexes the response's bytes, it does not copy them.
            document = JsonDocument.Parse(response.Body, Json);
        }
        catch (JsonException ex)
        {
            return $"response is not JSON ({ex.Message}); body: {response.Excerpt}";
        }
        using (document)
        {
            foreach (var field in fields)
            {
                if (!JsonFieldPath.TryResolve(document.RootElement, field.Path, out var value))
                    return $"expectJson {field.Path}: no such field; body: {response.Excerpt}";
                var actual = JsonFieldPath.TextOf(value);
                if (!string.Equals(actual, field.EqualTo, StringComparison.Ordinal))
                    return $"expectJson {field.Path}: expected \"{field.EqualTo}\", actual \"{probe.Redactor.Shorten(actual, ProbeResponse.ExcerptChars)}\"";
            }
        }
        return null;
    }

    static HttpMethod ParseMethod(string method)
    {
        var name = string.IsNullOrWhiteSpace(method) ? "GET" : method.Trim().ToUpperInvariant();
        if (!name.All(char.IsAsciiLetter))
            throw new ProbeFailedException($"method \"{method}\" is not an HTTP method");
        return new HttpMethod(name);
    }

    static void AddHeader(HttpRequestMessage request, string name, string value)
    {
        // Content headers such as Content-Type belong to the body; a header the body cannot carry is refused.
        if (request.Headers.TryAddWithoutValidation(name, value))
            return;
        if (request.Content is null)
            throw new ProbeFailedException($"header \"{name}\" needs a body");
        request.Content.Headers.Remove(name);
        if (!request.Content.Headers.TryAddWithoutValidation(name, value))
            throw new ProbeFailedException($"header \"{name}\" is not a valid header");
    }

    internal static bool IsJson(string text)
    {
        try
        {
            using var _ = JsonDocument.Parse(text);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
