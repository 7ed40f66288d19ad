using System.Net;
using k8s;
using k8s.Autorest;

namespace BlueGreenOperator.Checks;

/// <summary>
/// One GET of one Secret by name when a run starts: no list, no watch, no cache, so the operator needs only
/// <c>get</c> on Secrets (which the chart can limit to named Secrets) and holds no Secret between runs.
/// </summary>
internal sealed class KubernetesCheckSecrets(IKubernetes client) : ICheckSecrets
{
    public async Task<IDictionary<string, byte[]>?> ReadAsync(string ns, string name, CancellationToken ct)
    {
        try
        {
            var secret = await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: ct);
            return secret.Data ?? new Dictionary<string, byte[]>();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new CheckSecretUnreadableException(
                "the operator may not read it (403); the chart grants get on Secrets with checkCredentials.enabled, only on checkCredentials.secretNames when they are listed");
        }
        catch (HttpOperationException e)
        {
            // A check that cannot get its credentials fails, as one whose pod cannot be reached does.
            throw new CheckSecretUnreadableException($"the API server answered {(int)e.Response.StatusCode}");
        }
        catch (HttpRequestException e)
        {
            throw new CheckSecretUnreadableException($"the API server could not be reached ({e.HttpRequestError})");
        }
    }
}
