using System.Globalization;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Runtime;

/// <summary>
/// Decodes API objects one at a time, so that one object the C# types cannot hold (a wrong type anywhere, nesting
/// deeper than the serializer allows, a number out of range) is reported with its JSON path instead of failing a
/// whole list or watch.
/// </summary>
internal static class ObjectDecoder
{
    /// <summary>
    /// Reading a list or a watch event as a document has no practical depth limit: the document reader is
    /// iterative, and only the typed decode of each item, which recurses, keeps the serializer's default limit.
    /// </summary>
    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = int.MaxValue };

    private const int MaxMessageLength = 1024;

    public static JsonDocument Parse(ReadOnlyMemory<byte> json) => JsonDocument.Parse(json, DocumentOptions);

    public static JsonDocument Parse(string json) => JsonDocument.Parse(json, DocumentOptions);

    public static Decoded<T> Decode<T>(JsonElement item)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var identity = IdentityOf(item);
        if (item.ValueKind != JsonValueKind.Object)
        {
            return new Decoded<T>(identity, null, new DecodeFailure("$", $"expected an object, found {Describe(item.ValueKind)}"));
        }

        try
        {
            var value = KubernetesJson.Deserialize<T>(item);
            if (value?.Metadata is null)
            {
                return new Decoded<T>(identity, null, new DecodeFailure("$.metadata", "metadata is missing"));
            }

            return Decoded<T>.Of(value, identity);
        }
        catch (JsonException e)
        {
            return new Decoded<T>(identity, null, new DecodeFailure(Shorten(e.Path ?? "$"), Shorten(WithoutPosition(e.Message)))) { Status = StatusOf(item) };
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or OverflowException or ArgumentException or NotSupportedException)
        {
            // KubernetesClient's converters (quantities, dates, int-or-string) throw these; the serializer may append the path to the message.
            return new Decoded<T>(identity, null, new DecodeFailure(Shorten(PathIn(e.Message) ?? "$"), Shorten(WithoutPosition(e.Message)))) { Status = StatusOf(item) };
        }
    }

    /// <summary>Reads key, uid, resourceVersion and generation without the typed decode; anything missing or mistyped reads as absent.</summary>
    public static ObjectIdentity IdentityOf(JsonElement item)
    {
        var metadata = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object
            ? m
            : default;
        return new ObjectIdentity(
            new ObjectKey(Text(metadata, "namespace") ?? string.Empty, Text(metadata, "name") ?? string.Empty),
            Text(metadata, "uid"),
            Text(metadata, "resourceVersion"),
            metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("generation", out var g) && g.ValueKind == JsonValueKind.Number && g.TryGetInt64(out var generation)
                ? generation
                : null);
    }

    /// <summary>The object's status as a detached copy, when it has one.</summary>
    public static JsonElement? StatusOf(JsonElement item) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object
            ? status.Clone()
            : null;

    public static string? Text(JsonElement parent, string property) =>
        parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString().ToLower(CultureInfo.InvariantCulture),
    };

    // System.Text.Json appends "Path: … | LineNumber: … | BytePositionInLine: …"; the path is reported on its own.
    private static string WithoutPosition(string message)
    {
        var at = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return at > 0 ? message[..at] : message;
    }

    private static string? PathIn(string message)
    {
        var at = message.IndexOf(" Path: ", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var path = message[(at + " Path: ".Length)..];
        var end = path.IndexOf(" | ", StringComparison.Ordinal);
        return end >= 0 ? path[..end] : path.TrimEnd('.');
    }

    private static string Shorten(string message) =>
        message.Length <= MaxMessageLength ? message : message[..MaxMessageLength] + "…";
}
