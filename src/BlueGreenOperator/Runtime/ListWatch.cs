using k8s;
using k8s.Models;

namespace BlueGreenOperator.Runtime;

/// <summary>What can be read of any object's metadata, even one that does not decode into its C# type.</summary>
internal sealed record ObjectIdentity(ObjectKey Key, string? Uid, string? ResourceVersion, long? Generation);

/// <summary>Why an object did not decode: the decoder's JSON path (<c>$.spec.template…</c>) and its message.</summary>
internal sealed record DecodeFailure(string Path, string Message);

/// <summary>One item of a list or a watch event: the typed object, or the failure that kept it from being one.</summary>
internal sealed record Decoded<T>(ObjectIdentity Identity, T? Object, DecodeFailure? Failure)
    where T : class
{
    /// <summary>The object's status as the server holds it, kept only for an object that did not decode.</summary>
    public System.Text.Json.JsonElement? Status { get; init; }

    public static Decoded<T> Of(T value, ObjectIdentity identity) => new(identity, value, null);

    public UndecodableObject ToUndecodable() => new(
        Identity.Key, Identity.Uid, Identity.ResourceVersion, Identity.Generation, Failure?.Path ?? "$", Failure?.Message ?? "does not decode")
    {
        Status = Status,
    };
}

/// <summary>An object that is on the server but does not decode: the informer skips it and reports this.</summary>
internal sealed record UndecodableObject(
    ObjectKey Key,
    string? Uid,
    string? ResourceVersion,
    long? Generation,
    string Path,
    string Message)
{
    /// <summary>The object's <c>status</c> as the server holds it, when it has one: lets a reporter see that it already reported.</summary>
    public System.Text.Json.JsonElement? Status { get; init; }
}

/// <summary>One page of a list: its items, the list's resourceVersion, and the token of the next page (null on the last).</summary>
internal sealed record ListPage<T>(IReadOnlyList<Decoded<T>> Items, string ResourceVersion, string? Continue)
    where T : class;

/// <summary>What a watch event says happened to its object; a bookmark only moves the resourceVersion on.</summary>
internal enum WatchChange
{
    Added,
    Modified,
    Deleted,
    Bookmark,
}

/// <summary>How an informer lists and watches one kind of object in one scope (a namespace or all of them).</summary>
/// <param name="List">Lists one page: from the start when the continue token is null.</param>
/// <param name="Watch">Streams changes after a resourceVersion, with bookmarks; ends when the server closes the watch and throws on a watch error.</param>
internal sealed record ListWatch<T>(
    Func<string?, CancellationToken, Task<ListPage<T>>> List,
    Func<string, CancellationToken, IAsyncEnumerable<(WatchChange Type, Decoded<T> Item)>> Watch)
    where T : class, IKubernetesObject<V1ObjectMeta>;

/// <summary>A watch that the server ended with an error status (410 Gone among them) or an unreadable event.</summary>
internal sealed class WatchFailedException(string message, Exception inner) : Exception(message, inner)
{
    /// <summary>True when the resourceVersion is too old to watch from: only a relist can continue.</summary>
    public bool IsGone => IsResourceExpired(InnerException);

    public static bool IsResourceExpired(Exception? error) => error switch
    {
        WatchFailedException failed => IsResourceExpired(failed.InnerException),
        KubernetesException { Status.Code: 410 } => true,
        k8s.Autorest.HttpOperationException { Response.StatusCode: System.Net.HttpStatusCode.Gone } => true,
        _ => false,
    };
}
