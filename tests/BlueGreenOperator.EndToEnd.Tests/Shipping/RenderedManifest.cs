using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>One object of a multi-document manifest: its identity and its own YAML text.</summary>
internal sealed record RenderedObject(string ApiVersion, string Kind, string? Namespace, string Name, string Yaml)
{
    public T As<T>() => KubernetesYaml.Deserialize<T>(Yaml);
}

/// <summary>Just what identifies an object of any kind, built-in or not.</summary>
internal sealed class ObjectHeader : IKubernetesObject<V1ObjectMeta>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();
}

/// <summary>What helm rendered or recorded, split into objects and written to a file kubectl can read.</summary>
internal sealed record RenderedManifest(string Text, IReadOnlyList<RenderedObject> Objects)
{
    public static RenderedManifest Parse(string text)
    {
        var objects = new List<RenderedObject>();
        foreach (var document in Documents(text))
        {
            var header = KubernetesYaml.Deserialize<ObjectHeader>(document);
            if (header is null || header.Kind.Length == 0)
                continue;
            objects.Add(new RenderedObject(header.ApiVersion, header.Kind, header.Metadata.NamespaceProperty, header.Metadata.Name, document));
        }

        return new RenderedManifest(text, objects);
    }

    public IEnumerable<RenderedObject> OfKind(string kind) => Objects.Where(o => o.Kind == kind);

    public IReadOnlySet<string> Kinds => Objects.Select(o => o.Kind).ToHashSet();

    /// <summary>Namespaces named in the objects themselves (a namespaced install grants Roles elsewhere).</summary>
    public IReadOnlySet<string> ExplicitNamespaces => Objects.Select(o => o.Namespace).OfType<string>().ToHashSet();

    public async Task<string> WriteAsync(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"manifest-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, Text);
        return path;
    }

    static IEnumerable<string> Documents(string text)
    {
        var current = new List<string>();
        foreach (var line in text.Split('\n'))
        {
            if (line.TrimEnd() == "---")
            {
                if (current.Count > 0)
                    yield return string.Join('\n', current);
                current.Clear();
                continue;
            }

            current.Add(line);
        }

        if (current.Count > 0)
            yield return string.Join('\n', current);
    }
}
