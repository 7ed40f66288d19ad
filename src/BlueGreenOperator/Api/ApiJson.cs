using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;

namespace BlueGreenOperator.Api;

/// <summary>
/// The JSON contract of this API's types, generated at build time. The client's serializer knows the Kubernetes
/// models; a natively compiled operator has no reflection to learn ours, so this context is added to it before
/// anything is read or written.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(BlueGreenDeployment))]
[JsonSerializable(typeof(BlueGreenDeploymentList))]
[JsonSerializable(typeof(BlueGreenDeploymentStatus))]
// Untyped values the client serializes by their runtime type: a ControllerRevision's data, patches built as JSON.
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonArray))]
[JsonSerializable(typeof(JsonValue))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class ApiJson : JsonSerializerContext
{
    /// <summary>Adds the context to the client's serializer once, when the operator's assembly loads.</summary>
    [ModuleInitializer]
    internal static void Register() =>
        KubernetesJson.AddJsonOptions(options => options.TypeInfoResolverChain.Add(Default));
}
