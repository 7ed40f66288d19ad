using System.Net;
using System.Text;

namespace BlueGreenOperator.Checks;

/// <summary>A response as a check sees it: status and a bounded body.</summary>
internal sealed record ProbeResponse(HttpStatusCode Status, string Body)
{
    /// <summary>Model servers answer in kilobytes; anything far larger is not a health or prediction answer.</summary>
    public const int MaxBodyBytes = 4 * 1024 * 1024;

    public const int ExcerptChars = 200;

    public static async Task<ProbeResponse> SendAsync(HttpClient http, HttpRequestMessage request, CancellationToken ct)
    {
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
                throw new ProbeFailedException($"response body is larger than {MaxBodyBytes / (1024 * 1024)} MiB");
            buffer.Write(chunk, 0, read);
        }
        return new ProbeResponse(response.StatusCode, Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    public string Excerpt => Shorten(Body, ExcerptChars);

    /// <summary>Why a status other than the expected one failed, with what the server said.</summary>
    public string StatusMismatch(int expected) =>
        $"status {(int)Status}, expected {expected}; body: {(Body.Length == 0 ? "(empty)" : Excerpt)}";

    public static string Shorten(string text, int maxChars)
    {
        var flat = text.ReplaceLineEndings(" ").Trim();
        return flat.Length <= maxChars ? flat : string.Concat(flat.AsSpan(0, maxChars), "…");
    }
}

/// <summary>A check attempt that cannot go on, with the reason a reader of the status should see.</summary>
internal sealed class ProbeFailedException(string reason) : Exception(reason);
