using k8s;
using k8s.Models;

namespace BlueGreenOperator.Plugin.Tests.EndToEnd;

/// <summary>BlueGreenDeployments of one test namespace, created and moved along by the test as the operator would: status through the status subresource, Events as the operator records them.</summary>
internal sealed class NamespaceObjects(IKubernetes client, string ns)
{
    /// <summary>Creates the object, then writes its status through the status subresource as the operator does.</summary>
    public async Task<BlueGreenDeployment> CreateAsync(BlueGreenDeployment sample)
    {
        var body = new BlueGreenDeployment
        {
            Metadata = new V1ObjectMeta { Name = sample.Metadata.Name, NamespaceProperty = ns },
            Spec = sample.Spec,
        };
        body.Spec.Service = new ServiceSpec { Name = sample.Metadata.Name, Ports = [new ServicePortSpec { Name = "http", Port = 80, TargetPort = 8080 }] };
        body.Spec.Template = new V1PodTemplateSpec
        {
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "server", Image = "bluegreen.dev/example-model-server:2026-11-20" }] },
        };
        var created = await client.CustomObjects.CreateNamespacedCustomObjectAsync<BlueGreenDeployment>(
            body, WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural);
        return sample.Status is null ? created : await WriteStatusAsync(created, sample.Status);
    }

    public async Task<BlueGreenDeployment> WriteStatusAsync(BlueGreenDeployment item, BlueGreenDeploymentStatus status)
    {
        var current = await ReadAsync(item.Metadata.Name);
        current.Status = status;
        return await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<BlueGreenDeployment>(
            current, WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural, item.Metadata.Name);
    }

    public Task<BlueGreenDeployment> ReadAsync(string name) =>
        client.CustomObjects.GetNamespacedCustomObjectAsync<BlueGreenDeployment>(WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural, name);

    /// <summary>An Event about the object as the operator records it, stamped with the real time.</summary>
    public async Task RecordEventAsync(BlueGreenDeployment about, string reason, string message)
    {
        var recorded = Samples.Event(about, reason, message, TimeSpan.Zero);
        recorded.Metadata.Name = $"{about.Metadata.Name}.{Guid.NewGuid():N}";
        recorded.FirstTimestamp = recorded.LastTimestamp = DateTime.UtcNow;
        recorded.Source = new V1EventSource { Component = "bluegreen-operator" };
        await client.CoreV1.CreateNamespacedEventAsync(recorded, ns);
    }
}
