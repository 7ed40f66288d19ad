using k8s;
using k8s.Models;

namespace BlueGreenOperator.Runtime;

/// <summary>One consistent list of a resource and the resourceVersion to watch from.</summary>
internal sealed record ListResult<T>(IReadOnlyList<T> Items, string ResourceVersion);

/// <summary>How an informer lists and watches one kind of object in one scope (a namespace or all of them).</summary>
/// <param name="List">Lists every object.</param>
/// <param name="Watch">Streams changes after a resourceVersion, with bookmarks; ends when the server closes the watch and throws on a watch error.</param>
internal sealed record ListWatch<T>(
    Func<CancellationToken, Task<ListResult<T>>> List,
    Func<string, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> Watch)
    where T : IKubernetesObject<V1ObjectMeta>;

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
