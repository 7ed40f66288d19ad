using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BlueGreenOperator.LocalCluster.Testing;

/// <summary>Installs a CustomResourceDefinition and waits until the API server serves its kind.</summary>
public static class CustomResourceDefinitions
{
    static readonly TimeSpan EstablishTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Installs the definition in a YAML file (the project's CRD); see <see cref="InstallAsync"/>.</summary>
    public static async Task<bool> InstallFileAsync(this IKubernetes client, string path, CancellationToken cancellationToken = default) =>
        await client.InstallAsync(KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(path, cancellationToken)), cancellationToken);

    /// <summary>
    /// Creates the definition unless one of its name exists (an earlier fixture of the same run, or a cluster directory
    /// reused after an interrupted run), then waits for its Established condition. True when this call created it.
    /// </summary>
    public static async Task<bool> InstallAsync(this IKubernetes client, V1CustomResourceDefinition crd, CancellationToken cancellationToken = default)
    {
        var created = true;
        try
        {
            await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            created = false;
        }

        await Eventually.UntilAsync(
            async token => (await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(crd.Metadata.Name, cancellationToken: token))
                .Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true,
            EstablishTimeout,
            $"the {crd.Spec.Names.Kind} kind to be established",
            cancellationToken);
        return created;
    }
}
