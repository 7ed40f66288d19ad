using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BlueGreenOperator.Checks;

/// <summary>
/// The Jobs of job checks through the API server: a running check polls its one Job by name (a Job informer would
/// watch every namespace all the time for checks that run a few times a release).
/// </summary>
internal sealed class KubernetesCheckJobs(IKubernetes client) : ICheckJobs
{
    public Task<V1Job?> ReadAsync(string ns, string name, CancellationToken ct) =>
        Call<V1Job?>("read", async () =>
        {
            try
            {
                return await client.BatchV1.ReadNamespacedJobAsync(name, ns, cancellationToken: ct);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        });

    public Task<V1Job> CreateAsync(string ns, V1Job job, CancellationToken ct) =>
        Call("create", async () =>
        {
            try
            {
                return await client.BatchV1.CreateNamespacedJobAsync(job, ns, cancellationToken: ct);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                throw new CheckJobExistsException(job.Metadata.Name);
            }
        });

    public Task DeleteAsync(string ns, string name, string uid, CancellationToken ct) =>
        Call("delete", async () =>
        {
            try
            {
                await client.BatchV1.DeleteNamespacedJobAsync(
                    name, ns, new V1DeleteOptions { PropagationPolicy = "Background", Preconditions = new V1Preconditions { Uid = uid } }, cancellationToken: ct);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
            {
                // Gone already, or another Job took the name meanwhile.
            }

            return true;
        });

    public Task<IReadOnlyList<V1Job>> ListAsync(string ns, string labelSelector, CancellationToken ct) =>
        Call<IReadOnlyList<V1Job>>("list", async () =>
            [.. (await client.BatchV1.ListNamespacedJobAsync(ns, labelSelector: labelSelector, cancellationToken: ct)).Items]);

    public Task<IReadOnlyList<V1Pod>> PodsAsync(string ns, string jobUid, CancellationToken ct) =>
        Call<IReadOnlyList<V1Pod>>("list the pods of", async () =>
            [.. (await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: $"controller-uid={jobUid}", cancellationToken: ct)).Items]);

    /// <summary>A refused request fails the check with the API server's words, as an unreachable pod does.</summary>
    static async Task<T> Call<T>(string what, Func<Task<T>> request)
    {
        try
        {
            return await request();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new CheckJobException($"the operator may not {what} Jobs here (403); the chart grants Jobs in the namespaces it watches: {Said(e)}");
        }
        catch (HttpOperationException e)
        {
            throw new CheckJobException($"could not {what} the Job: the API server answered {(int)e.Response.StatusCode}: {Said(e)}");
        }
        catch (HttpRequestException e)
        {
            throw new CheckJobException($"could not {what} the Job: the API server could not be reached ({e.HttpRequestError})");
        }
    }

    static string Said(HttpOperationException e)
    {
        try
        {
            return KubernetesJson.Deserialize<V1Status>(e.Response.Content)?.Message ?? e.Message;
        }
        catch (System.Text.Json.JsonException)
        {
            return e.Message;
        }
    }
}
