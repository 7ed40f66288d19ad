using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BlueGreenOperator.LocalCluster.Kubelet;

/// <summary>The ConfigMaps and Secrets a pod's containers take environment variables from, read once when the pod starts.</summary>
internal sealed record EnvironmentSources(
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> ConfigMaps,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Secrets)
{
    public static readonly EnvironmentSources None = new(
        new Dictionary<string, IReadOnlyDictionary<string, string>>(),
        new Dictionary<string, IReadOnlyDictionary<string, string>>());

    public static async Task<EnvironmentSources> ReadAsync(IKubernetes client, V1Pod pod, CancellationToken cancellationToken)
    {
        var containers = pod.Spec.Containers.Concat(pod.Spec.InitContainers ?? []).ToList();
        var configMapNames = containers
            .SelectMany(container => (container.Env ?? []).Select(variable => variable.ValueFrom?.ConfigMapKeyRef?.Name)
                .Concat((container.EnvFrom ?? []).Select(source => source.ConfigMapRef?.Name)))
            .OfType<string>()
            .Distinct();
        var secretNames = containers
            .SelectMany(container => (container.Env ?? []).Select(variable => variable.ValueFrom?.SecretKeyRef?.Name)
                .Concat((container.EnvFrom ?? []).Select(source => source.SecretRef?.Name)))
            .OfType<string>()
            .Distinct();
        var configMaps = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        foreach (var name in configMapNames)
        {
            var configMap = await ReadOrNullAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync(name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken));
            if (configMap is not null)
            {
                configMaps[name] = new Dictionary<string, string>(configMap.Data ?? new Dictionary<string, string>());
            }
        }

        var secrets = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        foreach (var name in secretNames)
        {
            var secret = await ReadOrNullAsync(() => client.CoreV1.ReadNamespacedSecretAsync(name, pod.Metadata.NamespaceProperty, cancellationToken: cancellationToken));
            if (secret is not null)
            {
                secrets[name] = (secret.Data ?? new Dictionary<string, byte[]>()).ToDictionary(pair => pair.Key, pair => Encoding.UTF8.GetString(pair.Value));
            }
        }

        return new EnvironmentSources(configMaps, secrets);
    }

    /// <summary>The variables `envFrom` brings in, in order, each source with its prefix.</summary>
    public IEnumerable<KeyValuePair<string, string>> From(IEnumerable<V1EnvFromSource>? sources) =>
        (sources ?? []).SelectMany(source =>
            (source.ConfigMapRef?.Name is { } configMap ? ConfigMaps.GetValueOrDefault(configMap)
                : source.SecretRef?.Name is { } secret ? Secrets.GetValueOrDefault(secret)
                : null)?
            .Select(pair => KeyValuePair.Create((source.Prefix ?? "") + pair.Key, pair.Value)) ?? []);

    public string? Lookup(V1EnvVarSource source) =>
        source.ConfigMapKeyRef is { } configMapKey ? ConfigMaps.GetValueOrDefault(configMapKey.Name)?.GetValueOrDefault(configMapKey.Key)
        : source.SecretKeyRef is { } secretKey ? Secrets.GetValueOrDefault(secretKey.Name)?.GetValueOrDefault(secretKey.Key)
        : null;

    private static async Task<T?> ReadOrNullAsync<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read();
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // A missing source leaves its variables unset, as an optional reference would.
            return null;
        }
    }
}
