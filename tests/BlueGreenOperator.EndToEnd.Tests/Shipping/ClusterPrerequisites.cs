using BlueGreenOperator.LocalCluster;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>
/// What a rendered variant expects to exist before it is applied: the namespaces its Roles name and, for the
/// ServiceMonitor variant, the Prometheus Operator's ServiceMonitor kind. Removes only what it created.
/// </summary>
internal sealed class ClusterPrerequisites(IKubernetes client) : IAsyncDisposable
{
    const string ServiceMonitorCrd = "servicemonitors.monitoring.coreos.com";
    readonly List<string> _namespaces = [];
    bool _createdServiceMonitorCrd;

    public static async Task<ClusterPrerequisites> EnsureAsync(IKubernetes client, RenderedManifest manifest)
    {
        var prerequisites = new ClusterPrerequisites(client);
        foreach (var ns in manifest.ExplicitNamespaces)
            await prerequisites.EnsureNamespaceAsync(ns);
        if (manifest.Kinds.Contains("ServiceMonitor"))
            await prerequisites.EnsureServiceMonitorKindAsync();
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
    /// and admits the ServiceMonitor, though only the real CRD would check its fields.
    /// </summary>
    async Task EnsureServiceMonitorKindAsync()
    {
        var crd = new V1CustomResourceDefinition
        {
            Metadata = new V1ObjectMeta { Name = ServiceMonitorCrd },
            Spec = new V1CustomResourceDefinitionSpec
            {
                Group = "monitoring.coreos.com",
                Scope = "Namespaced",
                Names = new V1CustomResourceDefinitionNames { Plural = "servicemonitors", Singular = "servicemonitor", Kind = "ServiceMonitor", ListKind = "ServiceMonitorList" },
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
        try
        {
            await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd);
            _createdServiceMonitorCrd = true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
        {
        }

        await Eventually.UntilAsync(
            async ct => (await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(ServiceMonitorCrd, cancellationToken: ct)).Status?.Conditions?
                .Any(c => c.Type == "Established" && c.Status == "True") == true,
            TimeSpan.FromSeconds(30), "the ServiceMonitor kind to be established");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var ns in _namespaces)
            await client.CoreV1.DeleteNamespaceAsync(ns, new V1DeleteOptions { PropagationPolicy = "Background" });
        if (_createdServiceMonitorCrd)
            await client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync(ServiceMonitorCrd);
    }
}
