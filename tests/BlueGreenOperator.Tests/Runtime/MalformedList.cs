using System.Text;

namespace BlueGreenOperator.Tests.Runtime;

/// <summary>
/// BlueGreenDeployments as JSON that the C# types can and cannot hold: wrong types anywhere in the template,
/// nesting deeper than the serializer's limit, huge strings, nulls everywhere. Each is a whole API object.
/// </summary>
internal static class MalformedList
{
    /// <summary>Objects that must decode (their oddities are the planner's to judge, not the decoder's).</summary>
    public static readonly string[] Decodable = ["good", "nulls-everywhere", "huge-strings", "null-spec"];

    /// <summary>Objects that must not decode, with the start of the JSON path the decoder must name.</summary>
    public static readonly IReadOnlyDictionary<string, string> Undecodable = new Dictionary<string, string>
    {
        ["containers-string"] = "$.spec.template.spec.containers",
        ["port-text"] = "$.spec.template.spec.containers[0].ports[0].containerPort",
        ["env-number"] = "$.spec.template.spec.containers[0].env[0].value",
        ["labels-array"] = "$.spec.template.metadata.labels",
        ["template-number"] = "$.spec.template",
        ["replicas-null"] = "$.spec.replicas",
        ["replicas-huge"] = "$.spec.replicas",
        ["probe-object-port"] = "$.spec.template.spec.containers[0].readinessProbe.httpGet.port",
        ["deep"] = "$.spec.template.spec.affinity",
    };

    public static string Good(string name, string resourceVersion) =>
        Item(name, resourceVersion, """{"containers":[{"name":"server","image":"bluegreen.dev/example-model-server:v1","ports":[{"containerPort":8080}]}]}""");

    /// <summary>A whole object whose <c>spec.template.spec</c> is <paramref name="podSpec"/>.</summary>
    public static string Item(string name, string resourceVersion, string podSpec, string? spec = null, string? templateMetadata = null)
    {
        spec ??= "{\"replicas\":2,\"model\":{\"name\":\"iris\",\"version\":\"v1\"},\"service\":{\"name\":\"iris\",\"ports\":[{\"port\":80,\"targetPort\":8080}]},"
            + "\"template\":{\"metadata\":" + (templateMetadata ?? "{}") + ",\"spec\":" + podSpec + "}}";
        return "{\"apiVersion\":\"bluegreen.dev/v1alpha1\",\"kind\":\"BlueGreenDeployment\","
            + $"\"metadata\":{{\"name\":\"{name}\",\"namespace\":\"malformed\",\"uid\":\"uid-{name}\",\"resourceVersion\":\"{resourceVersion}\",\"generation\":3}},"
            + "\"spec\":" + spec + ","
            + "\"status\":{\"phase\":\"Healthy\",\"observedGeneration\":2,\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":\"Serving\",\"message\":\"blue serves\",\"lastTransitionTime\":\"2026-01-01T00:00:00Z\"}]}}";
    }

    public static string Json()
    {
        var deep = new StringBuilder();
        for (var i = 0; i < 5000; i++)
        {
            deep.Append("{\"a\":");
        }

        deep.Append("1").Append('}', 5000);
        var huge = new string('x', 2 * 1024 * 1024);
        var items = new[]
        {
            Good("good", "1"),
            Item("nulls-everywhere", "2", """{"containers":[null,{"name":null,"image":null,"env":null,"ports":[null],"readinessProbe":null,"resources":{"limits":null}}],"volumes":null,"affinity":null}""", templateMetadata: """{"labels":null,"annotations":{"a":null}}"""),
            Item("huge-strings", "3", "{\"containers\":[{\"name\":\"server\",\"image\":\"" + huge + "\",\"env\":[{\"name\":\"BIG\",\"value\":\"" + huge + "\"}]}]}"),
            Item("null-spec", "4", "{}", spec: "null"),
            Item("containers-string", "7", "{\"containers\":\"x\"}"),
            Item("port-text", "8", """{"containers":[{"name":"s","image":"i","ports":[{"containerPort":"http"}]}]}"""),
            Item("env-number", "9", """{"containers":[{"name":"s","image":"i","env":[{"name":"A","value":5}]}]}"""),
            Item("labels-array", "10", """{"containers":[]}""", templateMetadata: """{"labels":["a"]}"""),
            Item("template-number", "11", "{}", spec: """{"replicas":1,"model":{"name":"iris","version":"v1"},"service":{"name":"iris","ports":[]},"template":5}"""),
            Item("replicas-null", "12", "{}", spec: """{"replicas":null,"model":{"name":"iris","version":"v1"},"service":{"name":"iris","ports":[]},"template":{}}"""),
            Item("replicas-huge", "13", "{}", spec: """{"replicas":3000000000,"model":{"name":"iris","version":"v1"},"service":{"name":"iris","ports":[]},"template":{}}"""),
            Item("probe-object-port", "14", """{"containers":[{"name":"s","image":"i","readinessProbe":{"httpGet":{"port":{"x":1}}}}]}"""),
            Item("deep", "15", "{\"containers\":[],\"affinity\":" + deep + "}"),
        };
        return "{\"apiVersion\":\"bluegreen.dev/v1alpha1\",\"kind\":\"BlueGreenDeploymentList\",\"metadata\":{\"resourceVersion\":\"900\"},\"items\":[" + string.Join(',', items) + "]}";
    }
}
