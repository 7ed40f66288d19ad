using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Runtime;

/// <summary>Where a kind of object lives on the API server: <c>api/v1</c> or <c>apis/group/version</c>, and its plural.</summary>
internal sealed record ApiResource(string Group, string Version, string Plural)
{
    public static readonly ApiResource Deployments = new("apps", "v1", "deployments");
    public static readonly ApiResource Services = new(string.Empty, "v1", "services");
    public static readonly ApiResource Pods = new(string.Empty, "v1", "pods");
    public static readonly ApiResource ControllerRevisions = new("apps", "v1", "controllerrevisions");

    /// <summary>The collection path, relative to the client's base address, for one namespace or (null) all of them.</summary>
    public string CollectionPath(string? ns)
    {
        var root = Group.Length == 0 ? $"api/{Version}" : $"apis/{Group}/{Version}";
        return ns is null ? $"{root}/{Plural}" : $"{root}/namespaces/{Uri.EscapeDataString(ns)}/{Plural}";
    }
}

/// <summary>
/// Builds <see cref="ListWatch{T}"/> pairs on a real API server, for one namespace or (namespace null) all namespaces.
/// Lists and watch events are read as JSON and decoded item by item (<see cref="ObjectDecoder"/>), so an object the
/// C# types cannot hold is reported and skipped instead of failing the list; lists are read in pages.
/// </summary>
internal static class KubernetesListWatch
{
    /// <summary>Objects per list page, as client-go's pager.</summary>
    public const int PageSize = 500;

    // Like client-go's reflector: the server ends each watch after a random 5 to 10 minutes, and we re-watch from the last resourceVersion.
    private static int WatchTimeoutSeconds() => 300 + Random.Shared.Next(300);

    public static ListWatch<V1Deployment> Deployments(Kubernetes client, string? ns, string? labelSelector) =>
        Create<V1Deployment>(client, ApiResource.Deployments, ns, labelSelector);

    public static ListWatch<V1Service> Services(Kubernetes client, string? ns, string? labelSelector) =>
        Create<V1Service>(client, ApiResource.Services, ns, labelSelector);

    public static ListWatch<V1Pod> Pods(Kubernetes client, string? ns, string? labelSelector) =>
        Create<V1Pod>(client, ApiResource.Pods, ns, labelSelector);

    public static ListWatch<V1ControllerRevision> ControllerRevisions(Kubernetes client, string? ns, string? labelSelector) =>
        Create<V1ControllerRevision>(client, ApiResource.ControllerRevisions, ns, labelSelector);

    /// <summary>A custom resource (group/version/plural), decoded into <typeparamref name="T"/> with <see cref="KubernetesJson"/>.</summary>
    public static ListWatch<T> CustomResources<T>(Kubernetes client, string group, string version, string plural, string? ns, string? labelSelector = null)
        where T : class, IKubernetesObject<V1ObjectMeta> =>
        Create<T>(client, new ApiResource(group, version, plural), ns, labelSelector);

    public static ListWatch<T> Create<T>(Kubernetes client, ApiResource resource, string? ns, string? labelSelector, int pageSize = PageSize)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var path = resource.CollectionPath(ns);
        return new ListWatch<T>(
            async (continueToken, ct) =>
            {
                var query = Query(("labelSelector", labelSelector), ("limit", pageSize.ToString(CultureInfo.InvariantCulture)), ("continue", continueToken));
                using var response = await SendAsync(client, path + query, ct);
                var body = await response.Content.ReadAsByteArrayAsync(ct);
                using var document = ObjectDecoder.Parse(body);
                return ReadPage<T>(document.RootElement);
            },
            (resourceVersion, ct) => WatchAsync<T>(client, path, labelSelector, resourceVersion, ct));
    }

    private static ListPage<T> ReadPage<T>(JsonElement list)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var metadata = list.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
        var items = new List<Decoded<T>>();
        if (list.TryGetProperty("items", out var array) && array.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in array.EnumerateArray())
            {
                items.Add(ObjectDecoder.Decode<T>(item));
            }
        }

        return new ListPage<T>(items, ObjectDecoder.Text(metadata, "resourceVersion") ?? string.Empty, ObjectDecoder.Text(metadata, "continue") is { Length: > 0 } next ? next : null);
    }

    private static async IAsyncEnumerable<(WatchChange Type, Decoded<T> Item)> WatchAsync<T>(
        Kubernetes client, string path, string? labelSelector, string resourceVersion, [EnumeratorCancellation] CancellationToken ct)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var query = Query(
            ("watch", "true"),
            ("allowWatchBookmarks", "true"),
            ("labelSelector", labelSelector),
            ("resourceVersion", resourceVersion),
            ("timeoutSeconds", WatchTimeoutSeconds().ToString(CultureInfo.InvariantCulture)));
        using var response = await SendAsync(client, path + query, ct);
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            yield return ReadEvent<T>(line);
        }
    }

    private static (WatchChange, Decoded<T>) ReadEvent<T>(string line)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        JsonDocument document;
        try
        {
            document = ObjectDecoder.Parse(line);
        }
        catch (JsonException e)
        {
            throw new WatchFailedException("Unreadable watch event", e);
        }

        using (document)
        {
            var root = document.RootElement;
            var type = root.ValueKind == JsonValueKind.Object ? ObjectDecoder.Text(root, "type") : null;
            var item = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("object", out var o) ? o : default;
            switch (type)
            {
                case "ADDED":
                    return (WatchChange.Added, ObjectDecoder.Decode<T>(item));
                case "MODIFIED":
                    return (WatchChange.Modified, ObjectDecoder.Decode<T>(item));
                case "DELETED":
                    return (WatchChange.Deleted, ObjectDecoder.Decode<T>(item));
                case "BOOKMARK":
                    // A bookmark carries only a resourceVersion; it is never decoded.
                    return (WatchChange.Bookmark, new Decoded<T>(ObjectDecoder.IdentityOf(item), null, null));
                case "ERROR":
                    var status = item.ValueKind == JsonValueKind.Object ? TryStatus(item.GetRawText()) : null;
                    var error = status is null ? new KubernetesException(item.ValueKind == JsonValueKind.Undefined ? "watch error" : item.GetRawText()) : new KubernetesException(status);
                    throw new WatchFailedException($"Watch ended with an error: {status?.Message ?? error.Message}", error);
                default:
                    throw new WatchFailedException($"Unexpected watch event type '{type}'", new InvalidOperationException(type));
            }
        }
    }

    /// <summary>A GET through the client's own pipeline (its handlers and credentials); a failure status throws <see cref="KubernetesException"/>.</summary>
    private static async Task<HttpResponseMessage> SendAsync(Kubernetes client, string relative, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(client.BaseUri, relative));
        request.Headers.Accept.ParseAdd("application/json");
        if (client.Credentials is { } credentials)
        {
            await credentials.ProcessHttpRequestAsync(request, ct);
        }

        var response = await client.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(ct);
            var status = TryStatus(body) ?? new V1Status
            {
                Code = (int)response.StatusCode,
                Reason = response.StatusCode.ToString(),
                Message = $"{(int)response.StatusCode} {response.ReasonPhrase} from GET {relative}",
            };
            status.Code ??= (int)response.StatusCode;
            throw new KubernetesException(status);
        }
    }

    private static V1Status? TryStatus(string body)
    {
        try
        {
            return KubernetesJson.Deserialize<V1Status>(body) is { Kind: "Status" } status ? status : null;
        }
        catch (Exception e) when (e is JsonException or NotSupportedException)
        {
            return null;
        }
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? string.Empty : "?" + string.Join('&', present);
    }

    /// <summary>True when the status says a continue token or resourceVersion is too old (410 Gone, reason Expired).</summary>
    public static bool IsExpired(Exception e) => e is KubernetesException { Status.Code: (int)HttpStatusCode.Gone };
}
