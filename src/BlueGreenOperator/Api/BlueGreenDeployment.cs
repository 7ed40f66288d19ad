using System.ComponentModel.DataAnnotations;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Api;

/// <summary>A model server rolled out the blue-green way (<c>bluegreen.dev/v1alpha1</c>).</summary>
public sealed class BlueGreenDeployment : IKubernetesObject<V1ObjectMeta>, ISpec<BlueGreenDeploymentSpec>, IStatus<BlueGreenDeploymentStatus?>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = WellKnown.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = WellKnown.Kind;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    /// <summary>The model server, its Services, and how a new version of it is released.</summary>
    [Required]
    [JsonPropertyName("spec")]
    public BlueGreenDeploymentSpec Spec { get; set; } = new();

    /// <summary>What the operator observed and decided; written by the operator only.</summary>
    [JsonPropertyName("status")]
    public BlueGreenDeploymentStatus? Status { get; set; }
}

public sealed class BlueGreenDeploymentList : IKubernetesObject<V1ListMeta>, IItems<BlueGreenDeployment>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = WellKnown.ApiVersion;

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = WellKnown.Kind + "List";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<BlueGreenDeployment> Items { get; set; } = [];
}

public sealed class BlueGreenDeploymentSpec
{
    /// <summary>
    /// Pods of the serving colour (the scale subresource: kubectl scale and HorizontalPodAutoscalers set it; not a new
    /// release). Default: 1. From 1 to 1000.
    /// </summary>
    [JsonPropertyName("replicas")]
    public int Replicas { get; set; } = 1;

    /// <summary>The model the pods serve; a change of its version is a new release.</summary>
    [Required]
    [JsonPropertyName("model")]
    public ModelSpec Model { get; set; } = new();

    /// <summary>
    /// The model server's pod template; a change here or in model.version is a new release. The API server checks the
    /// fields listed here; pod and container fields not listed are kept as written.
    /// </summary>
    [Required]
    [JsonPropertyName("template")]
    public V1PodTemplateSpec Template { get; set; } = new();

    /// <summary>
    /// The active Service, which selects the serving colour, and the preview Service, which selects the colour under
    /// test; both are created and owned by the operator.
    /// </summary>
    [Required]
    [JsonPropertyName("service")]
    public ServiceSpec Service { get; set; } = new();

    /// <summary>How a release is promoted, how long it may take, and what stays behind as the warm standby.</summary>
    [JsonPropertyName("strategy")]
    public StrategySpec Strategy { get; set; } = new();

    /// <summary>
    /// Checks run before the switch against every ready pod of the new colour; every one must pass before it takes
    /// traffic. At most 50.
    /// </summary>
    [JsonPropertyName("smokeTests")]
    public IList<CheckSpec> SmokeTests { get; set; } = [];

    /// <summary>
    /// Checks run after the switch, during stabilization, against the serving pods; failureLimit failed runs in a row
    /// roll back to the warm standby.
    /// </summary>
    [JsonPropertyName("analysis")]
    public AnalysisSpec? Analysis { get; set; }

    /// <summary>
    /// Requests sent in rounds to every new pod before its smoke tests, and to the warm standby's pods during
    /// stabilization; answers are not judged, latencies are recorded.
    /// </summary>
    [JsonPropertyName("warmup")]
    public WarmupSpec? Warmup { get; set; }

    /// <summary>
    /// Recorded requests replayed before the switch against the new and the serving colour (parity): the release goes
    /// on only when the answers agree, are as accurate, fail no more and are not slower than the bounds allow.
    /// </summary>
    [JsonPropertyName("replay")]
    public ReplaySpec? Replay { get; set; }
}

public sealed class ModelSpec
{
    /// <summary>
    /// The name of the model the pods serve, as they report it over the Open Inference Protocol v2; at most 253
    /// characters.
    /// </summary>
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>
    /// The model version: a label value (at most 63 characters) put on every pod; a change here is a new release.
    /// </summary>
    [Required]
    [JsonPropertyName("version")]
    public string Version { get; set; } = "";

    /// <summary>
    /// How each pod is asked which model and version it serves, before its tests and in analysis; a pod that answers
    /// another name or version fails. Unset: mode Metadata.
    /// </summary>
    [JsonPropertyName("identity")]
    public ModelIdentitySpec? Identity { get; set; }
}

/// <summary>The question a pod must answer with spec.model's name and version (Open Inference Protocol v2).</summary>
public sealed class ModelIdentitySpec
{
    /// <summary>
    /// Metadata: <c>GET /v2/models/{name}</c> must list exactly the spec's version. VersionReady: <c>GET
    /// /v2/models/{name}/versions/{version}/ready</c> must answer 200 (servers that serve several versions). None: the
    /// pod is not asked. Default: Metadata.
    /// </summary>
    [JsonPropertyName("mode")]
    public string Mode { get; set; } = IdentityMode.Metadata;

    /// <summary>The pod's port to ask; defaults to the first service port's targetPort. From 1 to 65535.</summary>
    [JsonPropertyName("port")]
    public int? Port { get; set; }
}

/// <summary>The values of spec.model.identity.mode.</summary>
public static class IdentityMode
{
    /// <summary><c>GET /v2/models/{name}</c>: the metadata's <c>versions</c> must be exactly the spec's version.</summary>
    public const string Metadata = "Metadata";

    /// <summary><c>GET /v2/models/{name}/versions/{version}/ready</c> must answer 200 (for servers that serve several versions).</summary>
    public const string VersionReady = "VersionReady";

    /// <summary>The pod is not asked (a server that does not speak Open Inference Protocol v2 metadata).</summary>
    public const string None = "None";

    public static readonly IReadOnlyList<string> All = [Metadata, VersionReady, None];
}

/// <summary>
/// Warm-up: requests of the same shapes as checks (http or inference), sent in rounds to each pod until the stop rule
/// holds: <c>count</c> rounds, then, with <c>stableWindow</c>, until the last rounds' latencies are within
/// <c>stableRatio</c> of each other (at most <c>maxCount</c> rounds). Answers are not judged; latencies are recorded.
/// </summary>
public sealed class WarmupSpec
{
    /// <summary>The requests of one round, shaped as checks (http or inference); at most 8.</summary>
    [JsonPropertyName("requests")]
    public IList<CheckSpec> Requests { get; set; } = [];

    /// <summary>Rounds sent to each pod at least. Default: 5. From 1 to 1000.</summary>
    [JsonPropertyName("count")]
    public int Count { get; set; } = 5;

    /// <summary>
    /// With stableWindow: rounds sent at most while waiting for stable latency. Default: 50. From 1 to 1000.
    /// </summary>
    [JsonPropertyName("maxCount")]
    public int MaxCount { get; set; } = 50;

    /// <summary>
    /// After count rounds, go on until the last this many rounds are stable (0: the count alone stops). Default: 0.
    /// From 0 to 100.
    /// </summary>
    [JsonPropertyName("stableWindow")]
    public int StableWindow { get; set; }

    /// <summary>
    /// The slowest of the last stableWindow rounds may take at most this many times the fastest. Default: 1.5. At least
    /// 1.
    /// </summary>
    [JsonPropertyName("stableRatio")]
    public double StableRatio { get; set; } = 1.5;

    /// <summary>
    /// During stabilization the warm standby's pods are warmed up again at this interval (0: never). Default: 30. From
    /// 0 to 86400.
    /// </summary>
    [JsonPropertyName("standbyIntervalSeconds")]
    public int StandbyIntervalSeconds { get; set; } = 30;
}

public sealed class ServiceSpec
{
    /// <summary>
    /// The active Service, created and owned by the operator: it selects the serving colour's pods that passed their
    /// checks.
    /// </summary>
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>
    /// The preview Service, which selects the colour under test; defaults to <c>&lt;name&gt;-preview</c>.
    /// </summary>
    [JsonPropertyName("previewName")]
    public string? PreviewName { get; set; }

    /// <summary>The ports of both Services: at least 1, at most 32.</summary>
    [Required]
    [JsonPropertyName("ports")]
    public IList<ServicePortSpec> Ports { get; set; } = [];
}

public sealed class ServicePortSpec
{
    /// <summary>The port's name in the Services.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    /// <summary>The port the Services expose. From 1 to 65535.</summary>
    [Required]
    [JsonPropertyName("port")]
    public int Port { get; set; }

    /// <summary>The pods' port the Services send traffic to. From 1 to 65535.</summary>
    [Required]
    [JsonPropertyName("targetPort")]
    public int TargetPort { get; set; }

    /// <summary>TCP, UDP or SCTP. Default: TCP.</summary>
    [JsonPropertyName("protocol")]
    public string Protocol { get; set; } = "TCP";
}

public sealed class StrategySpec
{
    /// <summary>false: stop in Paused once the tests pass, until a promote action. Default: true.</summary>
    [JsonPropertyName("autoPromote")]
    public bool AutoPromote { get; set; } = true;

    /// <summary>Size of the new colour while it is tested; defaults to replicas. From 1 to 1000.</summary>
    [JsonPropertyName("previewReplicas")]
    public int? PreviewReplicas { get; set; }

    /// <summary>
    /// A release must be available and pass its smoke tests within this; otherwise it is aborted and the serving colour
    /// stays. Default: 600. From 1 to 604800.
    /// </summary>
    [JsonPropertyName("progressDeadlineSeconds")]
    public int ProgressDeadlineSeconds { get; set; } = 600;

    /// <summary>
    /// After the switch the old colour stays full size this long, then shrinks to the warm standby. Default: 30. From 0
    /// to 604800.
    /// </summary>
    [JsonPropertyName("scaleDownDelaySeconds")]
    public int ScaleDownDelaySeconds { get; set; } = 30;

    /// <summary>
    /// Pods of the old colour kept as a warm standby for an instant rollback until stabilization ends (0: none).
    /// Default: 1. From 0 to 1000.
    /// </summary>
    [JsonPropertyName("standbyReplicas")]
    public int StandbyReplicas { get; set; } = 1;

    /// <summary>
    /// How long after the switch analysis runs and the standby is kept; then the standby is torn down and the object is
    /// Healthy. Default: 3600. From 0 to 604800.
    /// </summary>
    [JsonPropertyName("stabilizationSeconds")]
    public int StabilizationSeconds { get; set; } = 3600;

    /// <summary>
    /// What a release does when pods of the new colour cannot be scheduled (for example no free nvidia.com/gpu): Wait
    /// or Abort; the serving colour is never touched. Default: Wait.
    /// </summary>
    [JsonPropertyName("onInsufficientCapacity")]
    public string OnInsufficientCapacity { get; set; } = CapacityPolicy.Wait;

    /// <summary>
    /// With Wait: abort once pods could not be scheduled this long (unset: only the progress deadline bounds it). From
    /// 1 to 604800.
    /// </summary>
    [JsonPropertyName("insufficientCapacitySeconds")]
    public int? InsufficientCapacitySeconds { get; set; }

    /// <summary>
    /// Placement and size of the warm standby (cheaper capacity), applied once the old colour becomes the standby; not
    /// a new release.
    /// </summary>
    [JsonPropertyName("standby")]
    public StandbyPlacementSpec? Standby { get; set; }
}

/// <summary>The values of strategy.onInsufficientCapacity.</summary>
public static class CapacityPolicy
{
    public const string Wait = "Wait";
    public const string Abort = "Abort";
}

/// <summary>
/// Overrides of the pod template for the warm standby: not a new release. Its pods are made again when they apply and
/// when a rollback restores the revision's own template.
/// </summary>
public sealed class StandbyPlacementSpec
{
    /// <summary>Replaces the template's nodeSelector, e.g. to move the standby to preemptible nodes.</summary>
    [JsonPropertyName("nodeSelector")]
    public IDictionary<string, string>? NodeSelector { get; set; }

    /// <summary>Added to the template's tolerations.</summary>
    [JsonPropertyName("tolerations")]
    public IList<V1Toleration>? Tolerations { get; set; }

    /// <summary>
    /// Replaces the template's affinity (a Kubernetes Affinity, checked by the API server when the Deployment is
    /// written).
    /// </summary>
    [JsonPropertyName("affinity")]
    public V1Affinity? Affinity { get; set; }

    /// <summary>Replaces the resources of every container, e.g. a smaller shape for the standby.</summary>
    [JsonPropertyName("resources")]
    public V1ResourceRequirements? Resources { get; set; }
}

/// <summary>One smoke test or analysis check: exactly one of http, inference, prometheus or job.</summary>
public sealed class CheckSpec
{
    /// <summary>The check's name in status and Events: a DNS label of at most 63 characters.</summary>
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>An HTTP request to each pod and the answer it must give.</summary>
    [JsonPropertyName("http")]
    public HttpCheckSpec? Http { get; set; }

    /// <summary>An Open Inference Protocol v2 inference request to each pod and the outputs it must produce.</summary>
    [JsonPropertyName("inference")]
    public InferenceCheckSpec? Inference { get; set; }

    /// <summary>
    /// Analysis only: a PromQL query against the Prometheus the operator is configured with; its first sample must lie
    /// within min and max.
    /// </summary>
    [JsonPropertyName("prometheus")]
    public PrometheusCheckSpec? Prometheus { get; set; }

    /// <summary>A pod template run once per check run as a Kubernetes Job in the object's namespace; its success passes.</summary>
    [JsonPropertyName("job")]
    public JobCheckSpec? Job { get; set; }

    /// <summary>A response slower than this fails the check. From 1 to 600000.</summary>
    [JsonPropertyName("maxLatencyMs")]
    public int? MaxLatencyMs { get; set; }

    /// <summary>How many times each pod is checked; every attempt must pass. Default: 1. From 1 to 100.</summary>
    [JsonPropertyName("repeat")]
    public int Repeat { get; set; } = 1;

    /// <summary>How long one attempt may take. Default: 5. From 1 to 300.</summary>
    [JsonPropertyName("timeoutSeconds")]
    public int TimeoutSeconds { get; set; } = 5;
}

public sealed class HttpCheckSpec
{
    /// <summary>The pod's port. From 1 to 65535.</summary>
    [Required]
    [JsonPropertyName("port")]
    public int Port { get; set; }

    /// <summary>The request's path, starting with /. Default: /.</summary>
    [JsonPropertyName("path")]
    public string Path { get; set; } = "/";

    /// <summary>The HTTP method: GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS. Default: GET.</summary>
    [JsonPropertyName("method")]
    public string Method { get; set; } = "GET";

    /// <summary>Request headers, in plain text (credentials belong in secretHeaders).</summary>
    [JsonPropertyName("headers")]
    public IDictionary<string, string>? Headers { get; set; }

    /// <summary>The request body, at most 1 MiB.</summary>
    [JsonPropertyName("body")]
    public string? Body { get; set; }

    /// <summary>The status code the answer must have. Default: 200. From 100 to 599.</summary>
    [JsonPropertyName("expectStatus")]
    public int ExpectStatus { get; set; } = 200;

    /// <summary>Text the answer's body must contain.</summary>
    [JsonPropertyName("expectBodyContains")]
    public string? ExpectBodyContains { get; set; }

    /// <summary>Fields of a JSON response that must equal the given values.</summary>
    [JsonPropertyName("expectJson")]
    public IList<JsonFieldExpectation>? ExpectJson { get; set; }

    /// <summary>
    /// Headers whose values are read from a Secret of the object's namespace at each run; never written to status,
    /// Events or logs. At most 8.
    /// </summary>
    [JsonPropertyName("secretHeaders")]
    public IList<SecretHeaderSpec>? SecretHeaders { get; set; }
}

/// <summary>A request header whose value comes from a Secret (<c>valueFrom.secretKeyRef</c>), as a container's env var does.</summary>
public sealed class SecretHeaderSpec
{
    /// <summary>The header's name.</summary>
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>Sent before the Secret's value, e.g. <c>"Bearer "</c>.</summary>
    [JsonPropertyName("prefix")]
    public string? Prefix { get; set; }

    /// <summary>Where the header's value comes from.</summary>
    [Required]
    [JsonPropertyName("valueFrom")]
    public HeaderValueSource ValueFrom { get; set; } = new();
}

public sealed class HeaderValueSource
{
    /// <summary>The key of a Secret that holds the header's value.</summary>
    [Required]
    [JsonPropertyName("secretKeyRef")]
    public SecretKeyReference SecretKeyRef { get; set; } = new();
}

/// <summary>One key of a Secret in the object's own namespace.</summary>
public sealed class SecretKeyReference
{
    /// <summary>The Secret's name, in the object's own namespace.</summary>
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>The key in the Secret's data.</summary>
    [Required]
    [JsonPropertyName("key")]
    public string Key { get; set; } = "";
}

public sealed class JsonFieldExpectation
{
    /// <summary>Dot-separated path into the response, e.g. <c>model_version</c> or <c>outputs.0.name</c>.</summary>
    [Required]
    [JsonPropertyName("path")]
    public string Path { get; set; } = "";

    /// <summary>The value the field must have, as text.</summary>
    [Required]
    [JsonPropertyName("equals")]
    public string EqualTo { get; set; } = "";
}

/// <summary>An Open Inference Protocol v2 request and the outputs it must produce.</summary>
public sealed class InferenceCheckSpec
{
    /// <summary>The pod's Open Inference Protocol v2 port. From 1 to 65535.</summary>
    [Required]
    [JsonPropertyName("port")]
    public int Port { get; set; }

    /// <summary>The model asked: <c>POST /v2/models/{model}/infer</c>.</summary>
    [Required]
    [JsonPropertyName("model")]
    public string Model { get; set; } = "";

    /// <summary>With a version the request goes to <c>/v2/models/{model}/versions/{modelVersion}/infer</c>.</summary>
    [JsonPropertyName("modelVersion")]
    public string? ModelVersion { get; set; }

    /// <summary>The request's input tensors (at least one).</summary>
    [Required]
    [JsonPropertyName("inputs")]
    public IList<InferenceTensorSpec> Inputs { get; set; } = [];

    /// <summary>Outputs the answer must contain, compared element by element.</summary>
    [JsonPropertyName("expectOutputs")]
    public IList<ExpectedOutputSpec> ExpectOutputs { get; set; } = [];

    /// <summary>
    /// Headers whose values are read from a Secret of the object's namespace at each run; never written to status,
    /// Events or logs. At most 8.
    /// </summary>
    [JsonPropertyName("secretHeaders")]
    public IList<SecretHeaderSpec>? SecretHeaders { get; set; }
}

public sealed class InferenceTensorSpec
{
    /// <summary>The input's name.</summary>
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>The tensor's shape, every dimension at least 1.</summary>
    [Required]
    [JsonPropertyName("shape")]
    public IList<long> Shape { get; set; } = [];

    /// <summary>
    /// The Open Inference Protocol v2 datatype: BOOL, UINT8, UINT16, UINT32, UINT64, INT8, INT16, INT32, INT64, FP16,
    /// FP32 or FP64.
    /// </summary>
    [Required]
    [JsonPropertyName("datatype")]
    public string Datatype { get; set; } = "";

    /// <summary>The tensor's elements in row-major order, at most 65536.</summary>
    [Required]
    [JsonPropertyName("data")]
    public IList<double> Data { get; set; } = [];
}

public sealed class ExpectedOutputSpec
{
    /// <summary>The output's name.</summary>
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>The values the output must have, in row-major order, at most 65536.</summary>
    [Required]
    [JsonPropertyName("data")]
    public IList<double> Data { get; set; } = [];

    /// <summary>The largest absolute difference per element that still passes. Default: 0. At least 0.</summary>
    [JsonPropertyName("tolerance")]
    public double Tolerance { get; set; }
}

public sealed class PrometheusCheckSpec
{
    /// <summary>PromQL; every selector is scoped to the object's namespace. At most 1024 characters.</summary>
    [Required]
    [JsonPropertyName("query")]
    public string Query { get; set; } = "";

    /// <summary>The query's first sample must be at least this.</summary>
    [JsonPropertyName("min")]
    public double? Min { get; set; }

    /// <summary>The query's first sample must be at most this.</summary>
    [JsonPropertyName("max")]
    public double? Max { get; set; }
}

/// <summary>
/// An evaluation Job: the pod template runs to completion against the colour under check (its addresses are in the
/// environment, see <c>JobCheckEnvironment</c>); the container's termination message becomes the check's message.
/// </summary>
public sealed class JobCheckSpec
{
    /// <summary>The Job's pod; restartPolicy Never (default) or OnFailure; it runs with its own service account.</summary>
    [Required]
    [JsonPropertyName("template")]
    public V1PodTemplateSpec Template { get; set; } = new();

    /// <summary>Retries before the Job fails (the Job's backoffLimit). Default: 0. From 0 to 6.</summary>
    [JsonPropertyName("backoffLimit")]
    public int BackoffLimit { get; set; }

    /// <summary>
    /// The Job's own time limit; never beyond the end of the stage the check serves. From 1 to 604800.
    /// </summary>
    [JsonPropertyName("activeDeadlineSeconds")]
    public int? ActiveDeadlineSeconds { get; set; }
}

public sealed class AnalysisSpec
{
    /// <summary>Time between analysis runs during stabilization. Default: 15. From 1 to 3600.</summary>
    [JsonPropertyName("intervalSeconds")]
    public int IntervalSeconds { get; set; } = 15;

    /// <summary>Consecutive failed runs that trigger an automatic rollback. Default: 2. From 1 to 100.</summary>
    [JsonPropertyName("failureLimit")]
    public int FailureLimit { get; set; } = 2;

    /// <summary>The checks of each run (http, inference, prometheus or job); at most 50.</summary>
    [JsonPropertyName("checks")]
    public IList<CheckSpec> Checks { get; set; } = [];
}

public sealed class BlueGreenDeploymentStatus
{
    /// <summary>The spec's generation this status describes.</summary>
    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; set; }

    /// <summary>The revision (hash of template and model version) of the spec at observedGeneration.</summary>
    [JsonPropertyName("currentRevision")]
    public string? CurrentRevision { get; set; }

    /// <summary>
    /// Where the object is: Initializing, Progressing, Testing, Paused, Promoting, Stabilizing, Healthy, Degraded or
    /// RolledBack.
    /// </summary>
    [JsonPropertyName("phase")]
    public string? Phase { get; set; }

    /// <summary>Pods of the serving colour (the scale subresource's status.replicas: what an autoscaler counts).</summary>
    [JsonPropertyName("replicas")]
    public int? Replicas { get; set; }

    /// <summary>The label selector of the serving colour's pods (the scale subresource's selector: the standby is not in it).</summary>
    [JsonPropertyName("selector")]
    public string? Selector { get; set; }

    /// <summary>
    /// The colour the operator decided serves (blue or green); the active Service is made to select it.
    /// </summary>
    [JsonPropertyName("activeColor")]
    public string? ActiveColor { get; set; }

    /// <summary>The revision the serving colour runs.</summary>
    [JsonPropertyName("activeRevision")]
    public string? ActiveRevision { get; set; }

    /// <summary>The model version the serving colour runs.</summary>
    [JsonPropertyName("activeModelVersion")]
    public string? ActiveModelVersion { get; set; }

    /// <summary>The pod-template-hash of the pods that passed the checks: the active Service selects only these.</summary>
    [JsonPropertyName("activePodTemplateHash")]
    public string? ActivePodTemplateHash { get; set; }

    /// <summary>The colour under test, while a release has not switched yet.</summary>
    [JsonPropertyName("previewColor")]
    public string? PreviewColor { get; set; }

    /// <summary>The revision under test.</summary>
    [JsonPropertyName("previewRevision")]
    public string? PreviewRevision { get; set; }

    /// <summary>The model version under test.</summary>
    [JsonPropertyName("previewModelVersion")]
    public string? PreviewModelVersion { get; set; }

    /// <summary>The colour that served before the last switch, kept as a warm standby until stabilization ends.</summary>
    [JsonPropertyName("standbyColor")]
    public string? StandbyColor { get; set; }

    /// <summary>The revision the warm standby runs: what a rollback restores.</summary>
    [JsonPropertyName("standbyRevision")]
    public string? StandbyRevision { get; set; }

    /// <summary>The model version the warm standby runs.</summary>
    [JsonPropertyName("standbyModelVersion")]
    public string? StandbyModelVersion { get; set; }

    /// <summary>The pod-template-hash of the warm standby's tested pods: a rollback selects only these.</summary>
    [JsonPropertyName("standbyPodTemplateHash")]
    public string? StandbyPodTemplateHash { get; set; }

    /// <summary>A release that failed or was rolled back; not retried until the spec changes or a retry action.</summary>
    [JsonPropertyName("abortedRevision")]
    public string? AbortedRevision { get; set; }

    /// <summary>Why the aborted revision failed: the Degraded reason it is held with (RolledBack after a rollback).</summary>
    [JsonPropertyName("abortedReason")]
    public string? AbortedReason { get; set; }

    /// <summary>When the colour under test started progressing; the progress deadline counts from here.</summary>
    [JsonPropertyName("progressStartedAt")]
    public DateTime? ProgressStartedAt { get; set; }

    /// <summary>Since when pods of the release under way cannot be scheduled (strategy.onInsufficientCapacity decides).</summary>
    [JsonPropertyName("insufficientCapacitySince")]
    public DateTime? InsufficientCapacitySince { get; set; }

    /// <summary>When the promote action was taken for the release under test.</summary>
    [JsonPropertyName("promotedAt")]
    public DateTime? PromotedAt { get; set; }

    /// <summary>The revision whose smoke tests passed.</summary>
    [JsonPropertyName("testedRevision")]
    public string? TestedRevision { get; set; }

    /// <summary>How many pods passed the smoke tests.</summary>
    [JsonPropertyName("testedPods")]
    public int? TestedPods { get; set; }

    /// <summary>The pod-template-hash of the pods that passed the smoke tests.</summary>
    [JsonPropertyName("testedPodTemplateHash")]
    public string? TestedPodTemplateHash { get; set; }

    /// <summary>When the last switch (or rollback) was decided.</summary>
    [JsonPropertyName("switchedAt")]
    public DateTime? SwitchedAt { get; set; }

    /// <summary>Time from the switch decision to the Service write being accepted.</summary>
    [JsonPropertyName("lastSwitchMilliseconds")]
    public long? LastSwitchMilliseconds { get; set; }

    /// <summary>Set when a rollback was decided; it is carried out across restarts until the standby serves.</summary>
    [JsonPropertyName("rollbackStartedAt")]
    public DateTime? RollbackStartedAt { get; set; }

    /// <summary>The analysis runs since the last switch.</summary>
    [JsonPropertyName("analysis")]
    public AnalysisStatus? Analysis { get; set; }

    /// <summary>The last smoke test run of the release under test, one entry per check.</summary>
    [JsonPropertyName("smokeTests")]
    public IList<CheckResult>? SmokeTests { get; set; }

    /// <summary>The warm-up of the release's pods before their smoke tests.</summary>
    [JsonPropertyName("warmup")]
    public WarmupStatus? Warmup { get; set; }

    /// <summary>The last warm-up of the standby's pods during stabilization.</summary>
    [JsonPropertyName("standbyWarmup")]
    public WarmupStatus? StandbyWarmup { get; set; }

    /// <summary>The last replay of a release against the serving colour (spec.replay).</summary>
    [JsonPropertyName("parity")]
    public ParityStatus? Parity { get; set; }

    /// <summary>Ready, Progressing and Degraded, as kubectl wait and dashboards read them; at most 8, one per type.</summary>
    [JsonPropertyName("conditions")]
    public IList<V1Condition>? Conditions { get; set; }

    /// <summary>The current phase in words, e.g. why a release is held.</summary>
    [JsonPropertyName("message")]
    public string? Message { get; set; }
}

public sealed class AnalysisStatus
{
    /// <summary>When the last analysis run took place.</summary>
    [JsonPropertyName("lastRunAt")]
    public DateTime? LastRunAt { get; set; }

    /// <summary>Failed runs in a row; failureLimit of them roll back.</summary>
    [JsonPropertyName("consecutiveFailures")]
    public int ConsecutiveFailures { get; set; }

    /// <summary>Analysis runs since the switch.</summary>
    [JsonPropertyName("runs")]
    public int Runs { get; set; }

    /// <summary>The last run, one entry per check.</summary>
    [JsonPropertyName("results")]
    public IList<CheckResult>? Results { get; set; }
}

/// <summary>One check's outcome over every pod it ran against (or once, for a query): small whatever the pod count.</summary>
public sealed class CheckResult
{
    /// <summary>The check's name.</summary>
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>Whether the check passed on every pod it ran against.</summary>
    [Required]
    [JsonPropertyName("passed")]
    public bool Passed { get; set; }

    /// <summary>How many pods the check ran against (0 for a query that runs once).</summary>
    [JsonPropertyName("pods")]
    public int Pods { get; set; }

    /// <summary>How many pods failed the check.</summary>
    [JsonPropertyName("failedPods")]
    public int FailedPods { get; set; }

    /// <summary>The first few failing pods by name.</summary>
    [JsonPropertyName("failingPods")]
    public IList<string>? FailingPods { get; set; }

    /// <summary>The slowest attempt.</summary>
    [JsonPropertyName("latencyMs")]
    public long? LatencyMs { get; set; }

    /// <summary>The first failure, or how it passed.</summary>
    [JsonPropertyName("message")]
    public string? Message { get; set; }
}

/// <summary>One warm-up of a colour's pods: a bounded entry per pod.</summary>
public sealed class WarmupStatus
{
    /// <summary>The colour warmed up.</summary>
    [JsonPropertyName("color")]
    public string? Color { get; set; }

    /// <summary>The revision of the pods warmed up.</summary>
    [JsonPropertyName("revision")]
    public string? Revision { get; set; }

    /// <summary>When the last warm-up took place.</summary>
    [JsonPropertyName("lastRunAt")]
    public DateTime? LastRunAt { get; set; }

    /// <summary>Warm-ups recorded (the standby is warmed up at an interval).</summary>
    [JsonPropertyName("runs")]
    public int Runs { get; set; }

    /// <summary>How many pods were warmed up in the last run.</summary>
    [JsonPropertyName("podCount")]
    public int PodCount { get; set; }

    /// <summary>The first pods of the last run by name.</summary>
    [JsonPropertyName("pods")]
    public IList<PodWarmupStatus>? Pods { get; set; }
}

public sealed class PodWarmupStatus
{
    /// <summary>The pod's name.</summary>
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>Requests sent to the pod.</summary>
    [JsonPropertyName("requests")]
    public int Requests { get; set; }

    /// <summary>Requests that failed or did not answer as a check would expect (a warm-up never fails a release).</summary>
    [JsonPropertyName("failed")]
    public int Failed { get; set; }

    /// <summary>The first request's latency, in milliseconds.</summary>
    [JsonPropertyName("firstLatencyMs")]
    public long FirstLatencyMs { get; set; }

    /// <summary>The last request's latency, in milliseconds.</summary>
    [JsonPropertyName("lastLatencyMs")]
    public long LastLatencyMs { get; set; }
}
