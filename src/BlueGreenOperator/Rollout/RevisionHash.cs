using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using BlueGreenOperator.Api;
using k8s;

namespace BlueGreenOperator.Rollout;

/// <summary>
/// The identity of a release: a short hash of the pod template and the model version, computed over canonical
/// JSON (object keys sorted, no whitespace) so that equal inputs hash equally in every process.
/// </summary>
public static class RevisionHash
{
    public const int Length = 10;

    // Specs are not changed once read (each watch event brings new objects): hash each one once.
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<BlueGreenDeploymentSpec, string> Computed = [];

    public static string Compute(BlueGreenDeploymentSpec spec) => Computed.GetValue(spec, Hash);

    static string Hash(BlueGreenDeploymentSpec spec)
    {
        var release = new JsonObject
        {
            ["modelVersion"] = spec.Model.Version,
            ["template"] = JsonNode.Parse(KubernetesJson.Serialize(spec.Template)),
        };
        var canonical = Canonicalize(release)?.ToJsonString() ?? "null";
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(canonical));
        return Convert.ToHexStringLower(digest)[..Length];
    }

    internal static JsonNode? Canonicalize(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj
            .Where(p => p.Value is not null)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Canonicalize(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Canonicalize)]),
        null => null,
        _ => node.DeepClone(),
    };
}
