using BlueGreenOperator.Api;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.EndToEnd.Tests.Harness;

/// <summary>
/// Follows one named object as a client-go reflector would: list, watch from the list's resourceVersion, and on any
/// error or end of the watch list again after a short backoff. Every state it learns (the object, or null when it is
/// gone) goes to <c>onChange</c>, in order, from one task.
/// </summary>
internal sealed class NamedObjectWatch<T> : IAsyncDisposable
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    static readonly TimeSpan FirstBackoff = TimeSpan.FromMilliseconds(100);
    static readonly TimeSpan LongestBackoff = TimeSpan.FromSeconds(1);

    readonly Func<CancellationToken, Task<(T? Current, string ResourceVersion)>> _list;
    readonly Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> _watch;
    readonly Action<T?> _onChange;
    readonly CancellationTokenSource _stop = new();
    readonly Task _loop;
    int _restarts;
    string? _lastError;

    internal NamedObjectWatch(
        Func<CancellationToken, Task<(T? Current, string ResourceVersion)>> list,
        Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Object)>> watch,
        Action<T?> onChange)
    {
        _list = list;
        _watch = watch;
        _onChange = onChange;
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>How many times the list-watch broke with an error and was started again.</summary>
    public int Restarts => Volatile.Read(ref _restarts);

    public string? LastError => Volatile.Read(ref _lastError);

    async Task RunAsync(CancellationToken ct)
    {
        var backoff = FirstBackoff;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var (current, resourceVersion) = await _list(ct);
                _onChange(current);
                backoff = FirstBackoff;
                Exception? error = null;
                await foreach (var (type, item) in _watch(resourceVersion, e => error ??= e, ct).WithCancellation(ct))
                {
                    if (error is not null)
                        break;
                    if (type is WatchEventType.Added or WatchEventType.Modified)
                        _onChange(item);
                    else if (type == WatchEventType.Deleted)
                        _onChange(null);
                }

                if (error is not null)
                    throw error;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Interlocked.Increment(ref _restarts);
                Volatile.Write(ref _lastError, $"{DateTime.UtcNow:HH:mm:ss.fff} {e.GetType().Name}: {e.Message}");
                await Task.Delay(backoff, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, LongestBackoff.Ticks));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
            return;
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}

/// <summary>Watches of the objects the end-to-end tests follow, each narrowed to one name by a field selector.</summary>
internal static class NamedObjectWatch
{
    // The server ends a watch after this long; listing again then costs one small read.
    const int WatchTimeoutSeconds = 60;

    public static NamedObjectWatch<V1Endpoints> Endpoints(IKubernetes client, string ns, string name, Action<V1Endpoints?> onChange) => ByName<V1Endpoints, V1EndpointsList>(
        name,
        (field, ct) => client.CoreV1.ListNamespacedEndpointsAsync(ns, fieldSelector: field, cancellationToken: ct),
        (field, resourceVersion, onError, ct) => client.CoreV1.WatchListNamespacedEndpointsAsync(
            ns, fieldSelector: field, resourceVersion: resourceVersion, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct),
        onChange);

    public static NamedObjectWatch<V1Deployment> Deployment(IKubernetes client, string ns, string name, Action<V1Deployment?> onChange) => ByName<V1Deployment, V1DeploymentList>(
        name,
        (field, ct) => client.AppsV1.ListNamespacedDeploymentAsync(ns, fieldSelector: field, cancellationToken: ct),
        (field, resourceVersion, onError, ct) => client.AppsV1.WatchListNamespacedDeploymentAsync(
            ns, fieldSelector: field, resourceVersion: resourceVersion, timeoutSeconds: WatchTimeoutSeconds, onError: onError, cancellationToken: ct),
        onChange);

    public static NamedObjectWatch<BlueGreenDeployment> Resource(IKubernetes client, string ns, string name, Action<BlueGreenDeployment?> onChange) => ByName<BlueGreenDeployment, BlueGreenDeploymentList>(
        name,
        async (field, ct) =>
        {
            using var response = await client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(
                WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural, fieldSelector: field, cancellationToken: ct);
            return KubernetesJson.Deserialize<BlueGreenDeploymentList>(KubernetesJson.Serialize(response.Body));
        },
        (field, resourceVersion, onError, ct) =>
        {
            var response = client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(
                WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural, fieldSelector: field,
                resourceVersion: resourceVersion, timeoutSeconds: WatchTimeoutSeconds, watch: true, cancellationToken: ct);
#pragma warning disable CS0618 // The suggested replacement yields untyped objects; this overload deserialises each event straight into the type.
            return response.WatchAsync<BlueGreenDeployment, object>(onError, ct);
#pragma warning restore CS0618
        },
        onChange);

    /// <summary>A list and a watch narrowed by a field selector to the one object named <paramref name="name"/>.</summary>
    static NamedObjectWatch<T> ByName<T, TList>(
        string name,
        Func<string, CancellationToken, Task<TList>> list,
        Func<string, string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch,
        Action<T?> onChange)
        where T : class, IKubernetesObject<V1ObjectMeta>
        where TList : IKubernetesObject<V1ListMeta>, IItems<T>
    {
        var field = $"metadata.name={name}";
        return new NamedObjectWatch<T>(
            async ct =>
            {
                var listed = await list(field, ct);
                return (listed.Items.SingleOrDefault(), listed.Metadata.ResourceVersion);
            },
            (resourceVersion, onError, ct) => watch(field, resourceVersion, onError, ct),
            onChange);
    }
}
