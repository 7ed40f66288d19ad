using System.Text.Json;
using System.Text.Json.Nodes;
using BlueGreenOperator.Api;
using FluentAssertions;
using k8s;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Api;

[TestFixture]
public sealed class ApiRoundTripTests
{
    // Every field of spec and status, with values other than the defaults.
    const string Everything = """
    {
      "apiVersion": "bluegreen.dev/v1alpha1",
      "kind": "BlueGreenDeployment",
      "metadata": {"name": "fraud-model", "namespace": "ml", "annotations": {"bluegreen.dev/action": "promote"}},
      "spec": {
        "replicas": 3,
        "model": {"name": "fraud-detector", "version": "2026-11-20"},
        "template": {
          "metadata": {"labels": {"app": "fraud"}},
          "spec": {"containers": [{"name": "server", "image": "bluegreen.dev/example-model-server:v2",
            "ports": [{"containerPort": 8080}],
            "readinessProbe": {"httpGet": {"path": "/v2/health/ready", "port": 8080}, "periodSeconds": 1}}]}
        },
        "service": {"name": "fraud-model", "previewName": "fraud-model-test", "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]},
        "strategy": {"autoPromote": false, "previewReplicas": 2, "progressDeadlineSeconds": 300, "scaleDownDelaySeconds": 10,
          "standbyReplicas": 0, "stabilizationSeconds": 120, "onInsufficientCapacity": "Abort", "insufficientCapacitySeconds": 30,
          "standby": {"nodeSelector": {"node.bluegreen.dev/spot": "true"}, "tolerations": [{"key": "spot", "operator": "Exists", "effect": "NoSchedule"}],
            "resources": {"requests": {"cpu": "100m"}}}},
        "smokeTests": [
          {"name": "ready", "http": {"port": 8080, "path": "/v2/health/ready", "method": "POST", "headers": {"X-Test": "1"},
            "body": "{}", "expectStatus": 204, "expectBodyContains": "ok", "expectJson": [{"path": "a.b", "equals": "c"}]},
            "maxLatencyMs": 100, "repeat": 2, "timeoutSeconds": 3},
          {"name": "golden", "inference": {"port": 8080, "model": "iris", "modelVersion": "v2",
            "inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}],
            "expectOutputs": [{"name": "output-0", "data": [0], "tolerance": 0.5}]}, "repeat": 3, "timeoutSeconds": 5}
        ],
        "analysis": {"intervalSeconds": 5, "failureLimit": 3, "checks": [
          {"name": "errors", "prometheus": {"query": "sum(rate(x[1m]))", "min": 0, "max": 0.1}, "repeat": 1, "timeoutSeconds": 5}]}
      },
      "status": {
        "observedGeneration": 4, "phase": "Stabilizing", "replicas": 3,
        "selector": "app.kubernetes.io/instance=fraud-model,bluegreen.dev/color=green,pod-template-hash=5d4f", "insufficientCapacitySince": "2026-11-20T12:00:10Z",
        "activeColor": "green", "activeRevision": "8f1e2a44aa", "activeModelVersion": "2026-11-20",
        "previewColor": "blue", "previewRevision": "1111111111", "previewModelVersion": "2026-11-21",
        "standbyColor": "blue", "standbyRevision": "6c9d5f7bbb", "standbyModelVersion": "2026-11-01",
        "abortedRevision": "2222222222", "abortedReason": "SmokeTestsFailed",
        "progressStartedAt": "2026-11-20T12:00:00Z", "testedRevision": "8f1e2a44aa", "testedPods": 3,
        "switchedAt": "2026-11-20T12:01:00Z", "lastSwitchMilliseconds": 9, "rollbackStartedAt": "2026-11-20T12:02:00Z",
        "analysis": {"lastRunAt": "2026-11-20T12:03:00Z", "consecutiveFailures": 1, "runs": 4,
          "results": [{"name": "errors", "passed": false, "pods": 0, "failedPods": 0, "latencyMs": 12, "message": "too high"}]},
        "smokeTests": [{"name": "golden", "passed": false, "pods": 3, "failedPods": 1, "failingPods": ["fraud-model-green-abc"], "latencyMs": 4, "message": "fraud-model-green-abc: wrong"}],
        "currentRevision": "8f1e2a44aa", "activePodTemplateHash": "5d4f", "standbyPodTemplateHash": "7c9b", "testedPodTemplateHash": "5d4f", "promotedAt": "2026-11-20T12:00:30Z",
        "conditions": [{"type": "Ready", "status": "True", "observedGeneration": 4, "lastTransitionTime": "2026-11-20T12:01:00Z",
          "reason": "Serving", "message": "green serves"}],
        "message": "Stabilizing"
      }
    }
    """;

    [Test]
    public void Should_round_trip_every_field_through_kubernetes_json()
    {
        var resource = KubernetesJson.Deserialize<BlueGreenDeployment>(Everything);

        var written = JsonNode.Parse(KubernetesJson.Serialize(resource))!;

        Normalize(written).ToJsonString().Should().Be(Normalize(JsonNode.Parse(Everything)!).ToJsonString());
    }

    [Test]
    public void Should_round_trip_every_field_through_the_build_time_contract_alone()
    {
        // The natively compiled operator has no reflection: it reads and writes its own types by ApiJson's generated
        // metadata only, and nothing may be lost that the reflection-based path keeps.
        var resource = JsonSerializer.Deserialize(Everything, ApiJson.Default.BlueGreenDeployment)!;

        var written = JsonNode.Parse(JsonSerializer.Serialize(resource, ApiJson.Default.BlueGreenDeployment))!;

        Normalize(written).ToJsonString().Should().Be(Normalize(JsonNode.Parse(Everything)!).ToJsonString());
    }

    [Test]
    public void Should_read_the_fields_into_the_typed_model()
    {
        var resource = KubernetesJson.Deserialize<BlueGreenDeployment>(Everything);

        resource.Spec.Strategy.PreviewReplicas.Should().Be(2);
        resource.Spec.SmokeTests[1].Inference!.Inputs[0].Data.Should().Equal(5.1, 3.5, 1.4, 0.2);
        resource.Spec.SmokeTests[0].Http!.Headers!["X-Test"].Should().Be("1");
        resource.Spec.Analysis!.Checks[0].Prometheus!.Max.Should().Be(0.1);
        resource.Status!.SwitchedAt.Should().Be(new DateTime(2026, 11, 20, 12, 1, 0, DateTimeKind.Utc));
        resource.Status.Conditions![0].ObservedGeneration.Should().Be(4);
        resource.Spec.Template.Spec.Containers[0].ReadinessProbe.HttpGet.Path.Should().Be("/v2/health/ready");
    }

    [Test]
    public void Should_apply_the_documented_defaults_when_fields_are_absent()
    {
        var resource = KubernetesJson.Deserialize<BlueGreenDeployment>("""
            {"metadata": {"name": "m"}, "spec": {"model": {"name": "iris", "version": "v1"}, "template": {}, "service": {"name": "m", "ports": [{"port": 80, "targetPort": 8080}]}}}
            """);

        resource.Spec.Replicas.Should().Be(1);
        resource.Spec.Strategy.AutoPromote.Should().BeTrue();
        resource.Spec.Strategy.PreviewReplicas.Should().BeNull();
        resource.Spec.Strategy.ProgressDeadlineSeconds.Should().Be(600);
        resource.Spec.Strategy.ScaleDownDelaySeconds.Should().Be(30);
        resource.Spec.Strategy.StandbyReplicas.Should().Be(1);
        resource.Spec.Strategy.StabilizationSeconds.Should().Be(3600);
        resource.Spec.Service.Ports[0].Protocol.Should().Be("TCP");
    }

    // Dates are compared as instants and object keys in a canonical order; nothing else is forgiven.
    static JsonNode Normalize(JsonNode node) => node switch
    {
        JsonObject obj => new JsonObject(obj.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, p.Value is null ? null : Normalize(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(n => n is null ? null : Normalize(n))]),
        JsonValue value when value.TryGetValue<string>(out var text) && DateTime.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal, out var time) && text.Contains('T')
            => JsonValue.Create(time.ToString("O", System.Globalization.CultureInfo.InvariantCulture)),
        JsonValue value when value.TryGetValue<double>(out var number) => JsonValue.Create(number),
        _ => JsonNode.Parse(node.ToJsonString())!,
    };
}
