using System.Runtime.CompilerServices;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Runtime;

/// <summary>Builds <see cref="ListWatch{T}"/> pairs on a real API server, for one namespace or (namespace null) all namespaces.</summary>
internal static class KubernetesListWatch
{
    // Like client-go's reflector: the server ends each watch after a random 5 to 10 minutes, and we re-watch from the last resourceVersion.
    private static int WatchTimeoutSeconds() => 300 + Random.Shared.Next(300);

    public static ListWatch<V1Deployment> Deployments(IKubernetes client, string? ns, string? labelSelector) => Build<V1Deployment, V1DeploymentList>(
        ct => ns is null
            ? client.AppsV1.ListDeploymentForAllNamespacesAsync(labelSelector: labelSelector, cancellationToken: ct)
            : client.AppsV1.ListNamespacedDeploymentAsync(ns, labelSelector: labelSelector, cancellationToken: ct),
        (resourceVersion, timeoutSeconds, onError, ct) => ns is null
            ? client.AppsV1.WatchListDeploymentForAllNamespacesAsync(
                allowWatchBookmarks: true, labelSelector: labelSelector, resourceVersion: resourceVersion,
                timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct)
            : client.AppsV1.WatchListNamespacedDeploymentAsync(
                ns, allowWatchBookmarks: true, labelSelector: labelSelector, resourceVersion: resourceVersion,
                timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct));

    public static ListWatch<V1Service> Services(IKubernetes client, string? ns, string? labelSelector) => Build<V1Service, V1ServiceList>(
        ct => ns is null
            ? client.CoreV1.ListServiceForAllNamespacesAsync(labelSelector: labelSelector, cancellationToken: ct)
            : client.CoreV1.ListNamespacedServiceAsync(ns, labelSelector: labelSelector, cancellationToken: ct),
        (resourceVersion, timeoutSeconds, onError, ct) => ns is null
            ? client.CoreV1.WatchListServiceForAllNamespacesAsync(
                allowWatchBookmarks: true, labelSelector: labelSelector, resourceVersion: resourceVersion,
                timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct)
            : client.CoreV1.WatchListNamespacedServiceAsync(
                ns, allowWatchBookmarks: true, labelSelector: labelSelector, resourceVersion: resourceVersion,
                timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct));

    public static ListWatch<V1Pod> Pods(IKubernetes client, string? ns, string? labelSelector) => Build<V1Pod, V1PodList>(
        ct => ns is null
            ? client.CoreV1.ListPodForAllNamespacesAsync(labelSelector: labelSelector, cancellationToken: ct)
            : client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: labelSelector, cancellationToken: ct),
        (resourceVersion, timeoutSeconds, onError, ct) => ns is null
            ? client.CoreV1.WatchListPodForAllNamespacesAsync(
                allowWatchBookmarks: true, labelSelector: labelSelector, resourceVersion: resourceVersion,
                timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct)
            : client.CoreV1.WatchListNamespacedPodAsync(
                ns, allowWatchBookmarks: true, labelSelector: labelSelector, resourceVersion: resourceVersion,
                timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct));

    public static ListWatch<V1ControllerRevision> ControllerRevisions(IKubernetes client, string? ns, string? labelSelector) => Build<V1ControllerRevision, V1ControllerRevisionList>(
        ct => ns is null
            ? client.AppsV1.ListControllerRevisionForAllNamespacesAsync(labelSelector: labelSelector, cancellationToken: ct)
            : client.AppsV1.ListNamespacedControllerRevisionAsync(ns, labelSelector: labelSelector, cancellationToken: ct),
        (resourceVersion, timeoutSeconds, onError, ct) => ns is null
            ? client.AppsV1.WatchListControllerRevisionForAllNamespacesAsync(
                allowWatchBookmarks: true, labelSelector: labelSelector, resourceVersion: resourceVersion,
                timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct)
            : client.AppsV1.WatchListNamespacedControllerRevisionAsync(
                ns, allowWatchBookmarks: true, labelSelector: labelSelector, resourceVersion: resourceVersion,
                timeoutSeconds: timeoutSeconds, onError: onError, cancellationToken: ct));

    /// <summary>A custom resource (group/version/plural), deserialised into <typeparamref name="T"/> with <see cref="KubernetesJson"/>.</summary>
    public static ListWatch<T> CustomResources<T>(
        IKubernetes client, string group, string version, string plural, string? ns, string? labelSelector = null)
        where T : IKubernetesObject<V1ObjectMeta> => Build<T, CustomResourceList<T>>(
        async ct =>
        {
            using var response = ns is null
                ? await client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync(
                    group, version, plural, labelSelector: labelSelector, cancellationToken: ct)
                : await client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(
                    group, version, ns, plural, labelSelector: labelSelector, cancellationToken: ct);
            return ToTyped<CustomResourceList<T>>(response.Body);
        },
        (resourceVersion, timeoutSeconds, onError, ct) =>
        {
            var response = ns is null
                ? client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync(
                    group, version, plural, allowWatchBookmarks: true, labelSelector: labelSelector,
                    resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, watch: true, cancellationToken: ct)
                : client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(
                    group, version, ns, plural, allowWatchBookmarks: true, labelSelector: labelSelector,
                    resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, watch: true, cancellationToken: ct);
#pragma warning disable CS0618 // The suggested replacement yields untyped objects; this overload deserialises each event straight into T.
            return response.WatchAsync<T, object>(onError, ct);
#pragma warning restore CS0618
        });

    /// <summary>Turns a list call and a watch call into a <see cref="ListWatch{T}"/> whose watch throws on errors.</summary>
    private static ListWatch<T> Build<T, TList>(
        Func<CancellationToken, Task<TList>> list,
        Func<string, int, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch)
        where T : IKubernetesObject<V1ObjectMeta>
        where TList : IKubernetesObject<V1ListMeta>, IItems<T> => new(
        async ct =>
        {
            var listed = await list(ct);
            return new ListResult<T>([.. listed.Items ?? []], listed.Metadata?.ResourceVersion ?? string.Empty);
        },
        (resourceVersion, ct) => SurfaceErrors(onError => watch(resourceVersion, WatchTimeoutSeconds(), onError, ct), ct));

    private static TTyped ToTyped<TTyped>(object body) => body switch
    {
        JsonElement element => KubernetesJson.Deserialize<TTyped>(element),
        _ => KubernetesJson.Deserialize<TTyped>(KubernetesJson.Serialize(body)),
    };

    /// <summary>The client reports watch errors (an ERROR event such as 410 Gone) through a callback; the informer needs them thrown.</summary>
    private static async IAsyncEnumerable<(WatchEventType Type, T Object)> SurfaceErrors<T>(
        Func<Action<Exception>, IAsyncEnumerable<(WatchEventType, T)>> open,
        [EnumeratorCancellation] CancellationToken ct)
    {
        Exception? error = null;
        await foreach (var (type, item) in open(e => error ??= e).WithCancellation(ct))
        {
            if (error is not null)
            {
                break;
            }

            yield return (type, item);
        }

        if (error is not null)
        {
            throw new WatchFailedException($"Watch ended with an error: {error.Message}", error);
        }
    }

    private sealed class CustomResourceList<T> : IKubernetesObject<V1ListMeta>, IItems<T>
    {
        [System.Text.Json.Serialization.JsonPropertyName("apiVersion")]
        public string ApiVersion { get; set; } = string.Empty;

        [System.Text.Json.Serialization.JsonPropertyName("kind")]
        public string Kind { get; set; } = string.Empty;

        [System.Text.Json.Serialization.JsonPropertyName("metadata")]
        public V1ListMeta Metadata { get; set; } = new();

        [System.Text.Json.Serialization.JsonPropertyName("items")]
        public IList<T> Items { get; set; } = [];
    }
}
