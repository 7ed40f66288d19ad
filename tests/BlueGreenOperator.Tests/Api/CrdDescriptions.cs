using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Tests.Api;

/// <summary>
/// What <c>kubectl explain</c> prints: every property of the CRD's schema has a description, and it says what the C#
/// documentation says. A field of the project's own types is described by exactly its <c>&lt;summary&gt;</c> (tags as
/// plain text, whitespace collapsed); a Kubernetes field (the pod template, tolerations, resources, conditions) begins
/// with the first sentence of the Kubernetes API's own documentation and may go on with what the CRD adds. A field a
/// user writes (under <c>.spec</c>) names its default, its minimum, its maximum and its allowed values. The object's
/// own apiVersion, kind and metadata are the exception: the API server publishes its own descriptions of them.
/// </summary>
internal static partial class CrdDescriptions
{
    // The API server publishes its own descriptions of these (and refuses a CRD that says more than a type on metadata).
    static readonly HashSet<string> ServerDescribed = [".apiVersion", ".kind", ".metadata"];

    public static void Compare(Type type, V1JSONSchemaProps schema, List<string> differences)
    {
        var expected = Documentation.Summary(type);
        if (schema.Description != expected)
            differences.Add($": the CRD says \"{schema.Description}\", C# says \"{expected}\"");
        Walk("", type, schema, differences);
    }

    static void Walk(string path, Type type, V1JSONSchemaProps schema, List<string> differences)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (schema.AdditionalProperties is not null && IsMap(underlying))
        {
            Walk(path + "{}", underlying.GetGenericArguments()[1], Node(schema.AdditionalProperties), differences);
            return;
        }
        if (schema.Items is not null && underlying != typeof(string) && typeof(IEnumerable).IsAssignableFrom(underlying))
        {
            Walk(path + "[]", ElementType(underlying), Node(schema.Items), differences);
            return;
        }
        if (schema.Properties is null)
            return;

        var properties = underlying.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Name: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name))
            .Where(p => p.Name is not null)
            .ToDictionary(p => p.Name!, p => p.Property);
        foreach (var (name, child) in schema.Properties)
        {
            var childPath = $"{path}.{name}";
            if (ServerDescribed.Contains(childPath))
                continue;
            if (!properties.TryGetValue(name, out var property))
            {
                differences.Add($"{childPath}: {underlying.Name} has no such field");
                continue;
            }
            Describe(childPath, property, child, differences);
            Walk(childPath, property.PropertyType, child, differences);
        }
    }

    static void Describe(string path, PropertyInfo property, V1JSONSchemaProps schema, List<string> differences)
    {
        var documented = Documentation.Summary(property);
        var description = schema.Description;
        if (string.IsNullOrWhiteSpace(description))
        {
            differences.Add($"{path}: no description");
            return;
        }
        if (documented is null)
            differences.Add($"{path}: {property.DeclaringType!.Name}.{property.Name} has no <summary>");
        else if (IsKubernetes(property.DeclaringType!))
        {
            var first = FirstSentence(documented);
            if (!description.StartsWith(first, StringComparison.Ordinal))
                differences.Add($"{path}: the CRD says \"{description}\", Kubernetes' documentation begins \"{first}\"");
        }
        else if (description != documented)
            differences.Add($"{path}: the CRD says \"{description}\", C# says \"{documented}\"");

        if (!path.StartsWith(".spec.", StringComparison.Ordinal))
            return;
        foreach (var (what, value) in Bounds(schema))
        {
            if (!Mentions(description, value))
                differences.Add($"{path}: the description does not name its {what} {value}");
        }
    }

    static IEnumerable<(string What, string Value)> Bounds(V1JSONSchemaProps schema)
    {
        if (Scalar(schema.DefaultProperty) is { } value)
            yield return ("default", value);
        if (schema.Minimum is { } minimum)
            yield return ("minimum", minimum.ToString(CultureInfo.InvariantCulture));
        if (schema.Maximum is { } maximum)
            yield return ("maximum", maximum.ToString(CultureInfo.InvariantCulture));
        foreach (var allowed in schema.EnumProperty ?? [])
            yield return ("allowed value", Scalar(allowed) ?? "");
    }

    // A default or an allowed value as YAML and kubectl print it: true, 600, 1.5, GET.
    static string? Scalar(object? value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        JsonElement { ValueKind: JsonValueKind.String } element => element.GetString(),
        JsonElement { ValueKind: JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False } element => element.GetRawText(),
        JsonElement => null,
        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
        string s => s,
        _ => value.ToString() is { } text && !text.StartsWith('{') && !text.StartsWith('[') && !text.Contains("System.", StringComparison.Ordinal)
            ? text
            : null,
    };

    // A value is named when it stands alone: 1 is not named by 10 or 1.5.
    static bool Mentions(string description, string value) =>
        Regex.IsMatch(description, $@"(?<![A-Za-z0-9.]){Regex.Escape(value)}(?![A-Za-z0-9]|\.\d)", RegexOptions.CultureInvariant);

    /// <summary>The text up to the first full stop followed by a new sentence, or all of it.</summary>
    public static string FirstSentence(string text) => SentenceEnd().Match(text) is { Success: true } match ? text[..(match.Index + 1)] : text;

    [GeneratedRegex(@"\.(?=\s+[A-Z(])")]
    private static partial Regex SentenceEnd();

    static bool IsKubernetes(Type type) => type.Namespace?.StartsWith("k8s", StringComparison.Ordinal) == true;

    static bool IsMap(Type type) => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>);

    public static Type ElementType(Type type) =>
        type.GetInterfaces().Append(type)
            .First(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))
            .GetGenericArguments()[0];

    // The model types "items" and "additionalProperties" as object: YAML leaves a plain map there.
    public static V1JSONSchemaProps Node(object node) =>
        node as V1JSONSchemaProps ?? KubernetesJson.Deserialize<V1JSONSchemaProps>(KubernetesJson.Serialize(node));

    /// <summary>The XML documentation files next to the assemblies (the operator's, and KubernetesClient's from its package).</summary>
    static class Documentation
    {
        static readonly Dictionary<Assembly, Dictionary<string, string>> Files = [];

        public static string? Summary(PropertyInfo property) =>
            Of(property.DeclaringType!.Assembly).GetValueOrDefault($"P:{property.DeclaringType.FullName}.{property.Name}");

        public static string? Summary(Type type) => Of(type.Assembly).GetValueOrDefault($"T:{type.FullName}");

        static Dictionary<string, string> Of(Assembly assembly)
        {
            lock (Files)
            {
                if (!Files.TryGetValue(assembly, out var members))
                    Files[assembly] = members = Load(Path.ChangeExtension(assembly.Location, ".xml"));
                return members;
            }
        }

        static Dictionary<string, string> Load(string file)
        {
            if (!File.Exists(file))
                throw new FileNotFoundException("The XML documentation must be built and copied next to the assembly", file);
            return XDocument.Load(file).Descendants("member")
                .Where(m => m.Element("summary") is not null)
                .ToDictionary(m => (string)m.Attribute("name")!, m => PlainText(m.Element("summary")!));
        }
    }

    /// <summary>A summary as kubectl should print it: <c>&lt;c&gt;</c> as its text, a cref as the name it points to, one space between words.</summary>
    public static string PlainText(XElement summary)
    {
        var text = string.Concat(summary.Nodes().Select(Render));
        return Whitespace().Replace(text, " ").Trim();

        static string Render(XNode node) => node switch
        {
            XText text => text.Value,
            XElement { Name.LocalName: "see" or "seealso" } see when see.Attribute("cref") is { } cref => cref.Value[(cref.Value.LastIndexOf('.') + 1)..],
            XElement { Name.LocalName: "see" } see when see.Attribute("langword") is { } word => word.Value,
            XElement { Name.LocalName: "paramref" or "typeparamref" } reference => (string?)reference.Attribute("name") ?? "",
            XElement element => string.Concat(element.Nodes().Select(Render)),
            _ => "",
        };
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
