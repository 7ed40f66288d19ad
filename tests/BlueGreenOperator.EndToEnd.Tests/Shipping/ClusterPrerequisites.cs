using BlueGreenOperator.LocalCluster.Testing;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>
/// What a rendered variant expects to exist before it is applied: the namespaces its Roles name and, for the
/// monitoring variants, the Prometheus Operator's kinds (ServiceMonitor, PrometheusRule). Removes only what it created.
/// </summary>
internal sealed class ClusterPrerequisites(IKubernetes client) : IAsyncDisposable
{
    static readonly IReadOnlyList<string> PrometheusOperatorKinds = ["ServiceMonitor", "PrometheusRule"];
    readonly List<string> _namespaces = [];
    readonly List<string> _createdCrds = [];

    public static async Task<ClusterPrerequisites> EnsureAsync(IKubernetes client, RenderedManifest manifest)
    {
        var prerequisites = new ClusterPrerequisites(client);
        foreach (var ns in manifest.ExplicitNamespaces)
            await prerequisites.EnsureNamespaceAsync(ns);
        foreach (var kind in PrometheusOperatorKinds.Where(manifest.Kinds.Contains))
            await prerequisites.EnsurePrometheusOperatorKindAsync(kind);
        return prerequisites;
    }

    async Task EnsureNamespaceAsync(string name)
    {
        try
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
            _namespaces.Add(name);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
        }
    }

    /// <summary>
    /// A stand-in for the Prometheus Operator's CRD (same group, version, kind; any fields): the server then resolves
    /// and admits the object, though only the real CRD would check its fields.
    /// </summary>
    async Task EnsurePrometheusOperatorKindAsync(string kind)
    {
        var singular = kind.ToLowerInvariant();
        var name = $"{singular}s.monitoring.coreos.com";
        var crd = new V1CustomResourceDefinition
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = "monitoring.coreos.com",
                Scope = "Namespaced",
                Names = new V1CustomResourceDefinitionNames { Plural = $"{singular}s", Singular = singular, Kind = kind, ListKind = $"{kind}List" },
                Versions =
                [
                    new V1CustomResourceDefinitionVersion
                    {
                        Name = "v1",
                        Served = true,
                        Storage = true,
                        Schema = new V1CustomResourceValidation { OpenAPIV3Schema = new V1JSONSchemaProps { Type = "object", XKubernetesPreserveUnknownFields = true } },
                    },
                ],
            },
        };
        if (await client.InstallAsync(crd))
            _createdCrds.Add(name);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var ns in _namespaces)
            await client.CoreV1.DeleteNamespaceAsync(ns, new V1DeleteOptions { PropagationPolicy = "Background" });
        foreach (var crd in _createdCrds)
            await client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync(crd);
    }
}
