using System.Buffers;
using System.Net;
using System.Text;

namespace BlueGreenOperator.Checks;

/// <summary>
/// A response as a check sees it: its status and a body read once, as bytes, into a pooled buffer no larger than the
/// operator's limit. Parsers read those bytes in place; the body never becomes a string, and a larger body fails the
/// attempt without another byte read.
/// </summary>
internal sealed class ProbeResponse : IDisposable
{
    public const int ExcerptChars = 200;

    const int FirstBuffer = 4 * 1024;

    byte[]? _buffer;
    readonly int _length;
    readonly Redactor _redactor;

    ProbeResponse(HttpStatusCode status, byte[] buffer, int length, Redactor redactor)
    {
        Status = status;
        _buffer = buffer;
        _length = length;
        _redactor = redactor;
    }

    public HttpStatusCode Status { get; }

    public ReadOnlyMemory<byte> Body => _buffer.AsMemory(0, _length);

    public static async Task<ProbeResponse> SendAsync(ProbeContext probe, HttpRequestMessage request, CancellationToken ct)
    {
        using var response = await probe.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        var limit = probe.MaxBodyBytes;
        if (response.Content.Headers.ContentLength > limit)
            throw TooLarge(limit);

        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(FirstBuffer, limit + 1));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == Math.Min(buffer.Length, limit + 1))
                {
                    // Grow (bounded by the limit): most answers are a few hundred bytes, so few reads need this.
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length, Math.Min(buffer.Length, limit + 1) - length), ct);
                if (read == 0)
                    break;
                length += read;
                if (length > limit)
                    throw TooLarge(limit);
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }

        return new ProbeResponse(response.StatusCode, buffer, length, probe.Redactor);
    }

    /// <summary>The beginning of the body as text, on one line, with credentials redacted.</summary>
    public string Excerpt
    {
        get
        {
            // Decode only what an excerpt can show, plus room for a value to redact whole across the cut.
            var window = Math.Min(_length, (ExcerptChars + (2 * _redactor.Longest)) * 4);
            var text = _redactor.Apply(Encoding.UTF8.GetString(Body.Span[..window]));
            if (window < _length && _redactor.Longest > 0)
                text = text[..Math.Max(0, text.Length - _redactor.Longest)];
            return Shorten(text, ExcerptChars);
        }
    }

    public bool IsEmpty => _length == 0;

    /// <summary>Whether the body holds the text, compared byte by byte in UTF-8 (no decoding).</summary>
    public bool Contains(string text) => Body.Span.IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    /// <summary>Why a status other than the expected one failed, with what the server said.</summary>
    public string StatusMismatch(int expected) =>
        $"status {(int)Status}, expected {expected}; body: {(IsEmpty ? "(empty)" : Excerpt)}";

    public static string Shorten(string text, int maxChars)
    {
        var flat = text.ReplaceLineEndings(" ").Trim();
        return flat.Length <= maxChars ? flat : string.Concat(flat.AsSpan(0, maxChars), "…");
    }

    static ProbeFailedException TooLarge(int limit) =>
        new($"response body is larger than {Size(limit)}, the limit for check responses");

    public static string Size(int bytes) =>
        bytes % (1024 * 1024) == 0 ? $"{bytes / (1024 * 1024)} MiB" : bytes % 1024 == 0 ? $"{bytes / 1024} KiB" : $"{bytes} bytes";

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

/// <summary>A check attempt that cannot go on, with the reason a reader of the status should see.</summary>
internal sealed class ProbeFailedException(string reason) : Exception(reason);
