namespace BlueGreenOperator.Runtime;

/// <summary>The identity of a Kubernetes object; the only thing the work queue carries.</summary>
internal readonly record struct ObjectKey(string Namespace, string Name)
{
    public override string ToString() => string.IsNullOrEmpty(Namespace) ? Name : $"{Namespace}/{Name}";

    /// <summary>Parses <c>namespace/name</c>, or <c>name</c> for a cluster-scoped object.</summary>
    public static ObjectKey Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return new ObjectKey(string.Empty, text);
        }

        var ns = text[..slash];
        var name = text[(slash + 1)..];
        if (ns.Length == 0 || name.Length == 0 || name.Contains('/', StringComparison.Ordinal))
        {
            throw new FormatException($"'{text}' is not a namespace/name key.");
        }

        return new ObjectKey(ns, name);
    }

    public static ObjectKey Of(k8s.Models.V1ObjectMeta metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        return new ObjectKey(metadata.NamespaceProperty ?? string.Empty, metadata.Name);
    }
}
