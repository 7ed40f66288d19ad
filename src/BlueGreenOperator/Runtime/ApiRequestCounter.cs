using System.Collections.Concurrent;

namespace BlueGreenOperator.Runtime;

/// <summary>What the client has sent so far. Resources are keyed as <c>VERB resource[/subresource]</c>, e.g. <c>PATCH services</c>.</summary>
internal sealed record ApiRequestCounts(
    long Total,
    long Writes,
    IReadOnlyDictionary<string, long> ByVerb,
    IReadOnlyDictionary<string, long> ByResource)
{
    public long Verb(string verb) => ByVerb.GetValueOrDefault(verb);

    public long Resource(string verbAndResource) => ByResource.GetValueOrDefault(verbAndResource);
}

/// <summary>
/// Counts every HTTP request a Kubernetes client sends, by verb and by resource, telling writes apart. A GET that
/// opens a watch counts as <c>WATCH</c>, as the API server's own request metrics name it: an informer re-opens each
/// of its watches every few minutes, whatever the number of objects. Use as <c>new Kubernetes(config, counter)</c>.
/// </summary>
internal sealed class ApiRequestCounter : DelegatingHandler
{
    private readonly ConcurrentDictionary<string, long> byVerb = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> byResource = new(StringComparer.Ordinal);
    private long total;
    private long writes;

    /// <summary>The verb and the resource of a <see cref="ApiRequestCounts.ByResource"/> key.</summary>
    public static (string Verb, string Resource) Split(string verbAndResource)
    {
        var space = verbAndResource.IndexOf(' ', StringComparison.Ordinal);
        return (verbAndResource[..space], verbAndResource[(space + 1)..]);
    }

    static bool IsWatch(HttpRequestMessage request) =>
        request.Method == HttpMethod.Get && request.RequestUri?.Query is { Length: > 0 } query
        && query.TrimStart('?').Split('&').Any(pair => pair is "watch=true" or "watch=1");

    public static bool IsWrite(HttpMethod method) =>
        method == HttpMethod.Post || method == HttpMethod.Put || method == HttpMethod.Patch || method == HttpMethod.Delete;

    public ApiRequestCounts Snapshot() => new(
        Interlocked.Read(ref total),
        Interlocked.Read(ref writes),
        new Dictionary<string, long>(byVerb, StringComparer.Ordinal),
        new Dictionary<string, long>(byResource, StringComparer.Ordinal));

    /// <summary>Extracts <c>resource[/subresource]</c> from an API path such as <c>/apis/apps/v1/namespaces/ml/deployments/x/scale</c>.</summary>
    public static string ResourceOf(Uri? uri)
    {
        if (uri is null)
        {
            return "unknown";
        }

        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var rest = segments switch
        {
            ["api", _, .. var tail] => tail,
            ["apis", _, _, .. var tail] => tail,
            _ => segments,
        };

        if (rest is ["namespaces", _, _, ..])
        {
            rest = rest[2..];
        }

        return rest switch
        {
            [] => "unknown",
            [var resource] => resource,
            [var resource, _] => resource,
            [var resource, _, var subresource, ..] => $"{resource}/{subresource}",
        };
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var verb = IsWatch(request) ? "WATCH" : request.Method.Method.ToUpperInvariant();
        Interlocked.Increment(ref total);
        if (IsWrite(request.Method))
        {
            Interlocked.Increment(ref writes);
        }

        byVerb.AddOrUpdate(verb, 1, static (_, n) => n + 1);
        byResource.AddOrUpdate($"{verb} {ResourceOf(request.RequestUri)}", 1, static (_, n) => n + 1);
        return base.SendAsync(request, cancellationToken);
    }
}
