using System.Net;
using BlueGreenOperator.Api;
using k8s;
using k8s.Autorest;

namespace BlueGreenOperator.Checks.Replay;

/// <summary>Where a replay's data set is read from, once per run.</summary>
public interface IReplayData
{
    /// <summary>The text of one key of a ConfigMap of <paramref name="ns"/>; throws <see cref="ReplayDataException"/> with the reason when it cannot be read.</summary>
    Task<string> ReadAsync(string ns, ConfigMapKeyReference reference, CancellationToken ct);
}

/// <summary>
/// One GET of one ConfigMap by name when a replay starts: no list, no watch, no cache, so the operator needs only
/// <c>get</c> on ConfigMaps of the namespaces it watches and holds no data set between runs.
/// </summary>
internal sealed class KubernetesReplayData(IKubernetes client) : IReplayData
{
    public async Task<string> ReadAsync(string ns, ConfigMapKeyReference reference, CancellationToken ct)
    {
        var source = $"ConfigMap {reference.Name} key {reference.Key}";
        try
        {
            var configMap = await client.CoreV1.ReadNamespacedConfigMapAsync(reference.Name, ns, cancellationToken: ct);
            if (configMap.Data?.TryGetValue(reference.Key, out var text) == true && text is not null)
                return text;
            throw new ReplayDataException($"{source}: the ConfigMap has no such key");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new ReplayDataException($"{source}: the ConfigMap does not exist in namespace {ns}");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new ReplayDataException($"{source}: the operator may not read it (403); the chart grants get on ConfigMaps with replay.enabled");
        }
        catch (HttpOperationException e)
        {
            throw new ReplayDataException($"{source}: the API server answered {(int)e.Response.StatusCode}");
        }
        catch (HttpRequestException e)
        {
            throw new ReplayDataException($"{source}: the API server could not be reached ({e.HttpRequestError})");
        }
    }
}
