using System.Net;
using System.Runtime.CompilerServices;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BlueGreenOperator.Plugin.Cluster;

/// <summary>The only place that talks to the API server; every failure leaves it as a <see cref="CommandFailure"/>.</summary>
internal sealed class BlueGreenApi(IKubernetes client, string server)
{
    public async Task<BlueGreenDeployment> GetAsync(string ns, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CustomObjects.GetNamespacedCustomObjectAsync<BlueGreenDeployment>(
                WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural, name, cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw ApiFailures.FromNotFound(e.Response.Content, name, ns);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw ApiFailures.Describe(e, server);
        }
    }

    /// <summary>One namespace, or every namespace when <paramref name="ns"/> is null; the list's resourceVersion is where a watch goes on.</summary>
    public async Task<BlueGreenDeploymentList> ListAsync(string? ns, CancellationToken cancellationToken)
    {
        try
        {
            return ns is null
                ? await client.CustomObjects.ListClusterCustomObjectAsync<BlueGreenDeploymentList>(
                    WellKnown.Group, WellKnown.Version, WellKnown.Plural, cancellationToken: cancellationToken)
                : await client.CustomObjects.ListNamespacedCustomObjectAsync<BlueGreenDeploymentList>(
                    WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw ApiFailures.FromNotFound(e.Response.Content, null, ns ?? "");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw ApiFailures.Describe(e, server);
        }
    }

    public async Task<IList<Corev1Event>> EventsAsync(BlueGreenDeployment item, CancellationToken cancellationToken)
    {
        var selector = $"involvedObject.kind={WellKnown.Kind},involvedObject.name={item.Metadata.Name}";
        try
        {
            var list = await client.CoreV1.ListNamespacedEventAsync(item.Metadata.NamespaceProperty, fieldSelector: selector, cancellationToken: cancellationToken);
            return list.Items;
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw ApiFailures.Describe(e, server);
        }
    }

    /// <summary>Applies a merge patch; false when the API server refused it because the object changed meanwhile.</summary>
    public async Task<bool> TryMergePatchAsync(string ns, string name, string patch, CancellationToken cancellationToken)
    {
        try
        {
            await client.CustomObjects.PatchNamespacedCustomObjectAsync(
                new V1Patch(patch, V1Patch.PatchType.MergePatch), WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural, name,
                cancellationToken: cancellationToken);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw ApiFailures.FromNotFound(e.Response.Content, name, ns);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            throw ApiFailures.Describe(e, server);
        }
    }

    /// <summary>The untyped custom-object watch hands out raw JSON; the object is read into the API type here.</summary>
    public static BlueGreenDeployment FromWatch(object raw) => KubernetesJson.Deserialize<BlueGreenDeployment>(KubernetesJson.Serialize(raw));

    /// <summary>Every change of one object from <paramref name="resourceVersion"/> on, until the server closes the watch.</summary>
    public async IAsyncEnumerable<(WatchEventType Type, BlueGreenDeployment Item)> WatchAsync(
        string ns, string name, string? resourceVersion, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Exception? failure = null;
        var stream = client.CustomObjects.WatchListNamespacedCustomObjectAsync(
            WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural,
            fieldSelector: $"metadata.name={name}", resourceVersion: resourceVersion, onError: e => failure = e, cancellationToken: cancellationToken);
        var events = stream.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    // A watch read waiting for its next line does not always see the token: Ctrl-C must end it at once.
                    more = await events.MoveNextAsync().AsTask().WaitAsync(cancellationToken);
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    throw ApiFailures.Describe(e, server);
                }

                if (!more)
                {
                    break;
                }

                var (type, raw) = events.Current;
                yield return (type, FromWatch(raw));
            }
        }
        finally
        {
            // An interrupted read is left to the process's exit: the enumerator cannot be disposed while it reads.
            if (!cancellationToken.IsCancellationRequested)
            {
                await events.DisposeAsync();
            }
        }

        if (failure is not null && !cancellationToken.IsCancellationRequested)
        {
            throw ApiFailures.Describe(failure, server);
        }
    }
}
