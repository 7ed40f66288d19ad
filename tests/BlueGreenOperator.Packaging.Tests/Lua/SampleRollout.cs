using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Packaging.Tests.Lua;

/// <summary>A BlueGreenDeployment as the API server returns it, with the status the operator writes in each phase.</summary>
internal static class SampleRollout
{
    public const long Generation = 7;

    public static readonly string[] Phases =
        ["Initializing", "Progressing", "Testing", "Paused", "Promoting", "Stabilizing", "Healthy", "Degraded", "RolledBack"];

    public static JsonObject WithoutStatus() => JsonNode.Parse(
        $$"""
        {
          "apiVersion": "bluegreen.dev/v1alpha1",
          "kind": "BlueGreenDeployment",
          "metadata": {
            "name": "fraud-model",
            "namespace": "ml",
            "generation": {{Generation}},
            "uid": "6f1c2a9e-3d4b-4c8e-9a51-2b7d0e8f4c11",
            "labels": { "team": "fraud" }
          },
          "spec": {
            "replicas": 3,
            "model": { "name": "fraud-detector", "version": "2026-11-20" },
            "service": { "name": "fraud-model", "ports": [ { "name": "http", "port": 80, "targetPort": 8080 } ] },
            "strategy": { "autoPromote": false, "standbyReplicas": 1 },
            "smokeTests": [
              { "name": "golden", "inference": { "port": 8080, "model": "fraud-detector",
                "expectOutputs": [ { "name": "output-0", "data": [ 0 ], "tolerance": 0.25 } ] } }
            ]
          }
        }
        """)!.AsObject();

    public static JsonObject InPhase(string phase, string message, long observedGeneration = Generation)
    {
        var rollout = WithoutStatus();
        rollout["status"] = new JsonObject
        {
            ["observedGeneration"] = observedGeneration,
            ["phase"] = phase,
            ["activeColor"] = "blue",
            ["activeRevision"] = "6c9d5f7b",
            ["previewColor"] = "green",
            ["previewRevision"] = "8f1e2a44",
            ["message"] = message,
            ["conditions"] = new JsonArray(
                Condition("Ready", phase is "Healthy" or "Stabilizing" ? "True" : "False", "Phase" + phase),
                Condition("Progressing", phase is "Healthy" or "Degraded" or "RolledBack" ? "False" : "True", "Phase" + phase),
                Condition("Degraded", phase is "Degraded" or "RolledBack" ? "True" : "False", "Phase" + phase)),
        };
        return rollout;
    }

    public static JsonObject Condition(string type, string status, string reason, string message = "") => new()
    {
        ["type"] = type,
        ["status"] = status,
        ["reason"] = reason,
        ["message"] = message,
        ["observedGeneration"] = Generation,
        ["lastTransitionTime"] = "2026-11-22T19:00:00Z",
    };

    public static JsonObject Status(JsonObject rollout) => rollout["status"]!.AsObject();

    /// <summary>The properties of status in the CRD's v1alpha1 schema: what the API server keeps of a status write.</summary>
    public static JsonObject CrdStatusSchema()
    {
        var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(SourceTree.ReadText("crds/bluegreendeployments.bluegreen.dev.yaml"));
        var schema = JsonNode.Parse(KubernetesJson.Serialize(crd.Spec.Versions.Single(v => v.Name == "v1alpha1").Schema.OpenAPIV3Schema))!;
        return schema["properties"]!["status"]!["properties"]!.AsObject();
    }

    public static void SetCondition(JsonObject rollout, JsonObject condition)
    {
        var conditions = Status(rollout)["conditions"]!.AsArray();
        var existing = conditions.FirstOrDefault(c => (string?)c!["type"] == (string?)condition["type"]);
        if (existing is not null)
        {
            conditions.Remove(existing);
        }

        conditions.Add(condition);
    }
}
