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

    [Required]
    [JsonPropertyName("spec")]
    public BlueGreenDeploymentSpec Spec { get; set; } = new();

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
    /// <summary>Size of the active environment.</summary>
    [JsonPropertyName("replicas")]
    public int Replicas { get; set; } = 1;

    [Required]
    [JsonPropertyName("model")]
    public ModelSpec Model { get; set; } = new();

    /// <summary>The model server; a change here or in model.version is a new release.</summary>
    [Required]
    [JsonPropertyName("template")]
    public V1PodTemplateSpec Template { get; set; } = new();

    [Required]
    [JsonPropertyName("service")]
    public ServiceSpec Service { get; set; } = new();

    [JsonPropertyName("strategy")]
    public StrategySpec Strategy { get; set; } = new();

    /// <summary>Run before the switch against every ready pod of the new colour.</summary>
    [JsonPropertyName("smokeTests")]
    public IList<CheckSpec> SmokeTests { get; set; } = [];

    /// <summary>Run after the switch, during stabilization, against the active pods.</summary>
    [JsonPropertyName("analysis")]
    public AnalysisSpec? Analysis { get; set; }

    /// <summary>Requests sent to every new pod before its smoke tests, and to the warm standby's pods during stabilization.</summary>
    [JsonPropertyName("warmup")]
    public WarmupSpec? Warmup { get; set; }

    /// <summary>Recorded requests replayed before the switch against the new and the serving colour (parity).</summary>
    [JsonPropertyName("replay")]
    public ReplaySpec? Replay { get; set; }
}

public sealed class ModelSpec
{
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [Required]
    [JsonPropertyName("version")]
    public string Version { get; set; } = "";

    /// <summary>How a pod is asked which model and version it serves before it is tested or serves (unset: Metadata).</summary>
    [JsonPropertyName("identity")]
    public ModelIdentitySpec? Identity { get; set; }
}

/// <summary>The question a pod must answer with spec.model's name and version (Open Inference Protocol v2).</summary>
public sealed class ModelIdentitySpec
{
    /// <summary>Metadata (default), VersionReady, or None for servers that do not report versions.</summary>
    [JsonPropertyName("mode")]
    public string Mode { get; set; } = IdentityMode.Metadata;

    /// <summary>The pod's port to ask; defaults to the first service port's targetPort.</summary>
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
    [JsonPropertyName("requests")]
    public IList<CheckSpec> Requests { get; set; } = [];

    /// <summary>Rounds sent to each pod at least.</summary>
    [JsonPropertyName("count")]
    public int Count { get; set; } = 5;

    /// <summary>With stableWindow: rounds sent at most while waiting for stable latency.</summary>
    [JsonPropertyName("maxCount")]
    public int MaxCount { get; set; } = 50;

    /// <summary>How many last rounds must be stable (0: the count alone stops).</summary>
    [JsonPropertyName("stableWindow")]
    public int StableWindow { get; set; }

    /// <summary>The slowest of the last stableWindow rounds may take at most this many times the fastest.</summary>
    [JsonPropertyName("stableRatio")]
    public double StableRatio { get; set; } = 1.5;

    /// <summary>During stabilization the warm standby's pods are warmed up again at this interval (0: never).</summary>
    [JsonPropertyName("standbyIntervalSeconds")]
    public int StandbyIntervalSeconds { get; set; } = 30;
}

public sealed class ServiceSpec
{
    /// <summary>The active Service, created and owned by the operator.</summary>
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>Selects the colour under test; defaults to <c>&lt;name&gt;-preview</c>.</summary>
    [JsonPropertyName("previewName")]
    public string? PreviewName { get; set; }

    [Required]
    [JsonPropertyName("ports")]
    public IList<ServicePortSpec> Ports { get; set; } = [];
}

public sealed class ServicePortSpec
{
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [Required]
    [JsonPropertyName("port")]
    public int Port { get; set; }

    [Required]
    [JsonPropertyName("targetPort")]
    public int TargetPort { get; set; }

    [JsonPropertyName("protocol")]
    public string Protocol { get; set; } = "TCP";
}

public sealed class StrategySpec
{
    /// <summary>False: stop in Paused until a promote action.</summary>
    [JsonPropertyName("autoPromote")]
    public bool AutoPromote { get; set; } = true;

    /// <summary>Size of the new colour while it is tested; defaults to replicas.</summary>
    [JsonPropertyName("previewReplicas")]
    public int? PreviewReplicas { get; set; }

    [JsonPropertyName("progressDeadlineSeconds")]
    public int ProgressDeadlineSeconds { get; set; } = 600;

    [JsonPropertyName("scaleDownDelaySeconds")]
    public int ScaleDownDelaySeconds { get; set; } = 30;

    [JsonPropertyName("standbyReplicas")]
    public int StandbyReplicas { get; set; } = 1;

    [JsonPropertyName("stabilizationSeconds")]
    public int StabilizationSeconds { get; set; } = 3600;

    /// <summary>What a release does when pods of the new colour cannot be scheduled: Wait (the default) or Abort.</summary>
    [JsonPropertyName("onInsufficientCapacity")]
    public string OnInsufficientCapacity { get; set; } = CapacityPolicy.Wait;

    /// <summary>With Wait: abort once pods could not be scheduled this long (unset: only the progress deadline bounds it).</summary>
    [JsonPropertyName("insufficientCapacitySeconds")]
    public int? InsufficientCapacitySeconds { get; set; }

    /// <summary>Placement and size for the warm standby (cheaper capacity); applied once the old colour becomes the standby.</summary>
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

    /// <summary>Replaces the template's affinity.</summary>
    [JsonPropertyName("affinity")]
    public V1Affinity? Affinity { get; set; }

    /// <summary>Replaces the resources of every container, e.g. a smaller shape for the standby.</summary>
    [JsonPropertyName("resources")]
    public V1ResourceRequirements? Resources { get; set; }
}

/// <summary>One smoke test or analysis check: exactly one of http, inference, prometheus or job.</summary>
public sealed class CheckSpec
{
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("http")]
    public HttpCheckSpec? Http { get; set; }

    [JsonPropertyName("inference")]
    public InferenceCheckSpec? Inference { get; set; }

    /// <summary>Analysis only: a PromQL query against the Prometheus the operator is configured with.</summary>
    [JsonPropertyName("prometheus")]
    public PrometheusCheckSpec? Prometheus { get; set; }

    /// <summary>A pod template run once per check run as a Kubernetes Job in the object's namespace; its success passes.</summary>
    [JsonPropertyName("job")]
    public JobCheckSpec? Job { get; set; }

    /// <summary>A response slower than this fails the check.</summary>
    [JsonPropertyName("maxLatencyMs")]
    public int? MaxLatencyMs { get; set; }

    /// <summary>How many times each pod is checked; every attempt must pass.</summary>
    [JsonPropertyName("repeat")]
    public int Repeat { get; set; } = 1;

    [JsonPropertyName("timeoutSeconds")]
    public int TimeoutSeconds { get; set; } = 5;
}

public sealed class HttpCheckSpec
{
    [Required]
    [JsonPropertyName("port")]
    public int Port { get; set; }

    [JsonPropertyName("path")]
    public string Path { get; set; } = "/";

    [JsonPropertyName("method")]
    public string Method { get; set; } = "GET";

    [JsonPropertyName("headers")]
    public IDictionary<string, string>? Headers { get; set; }

    [JsonPropertyName("body")]
    public string? Body { get; set; }

    [JsonPropertyName("expectStatus")]
    public int ExpectStatus { get; set; } = 200;

    [JsonPropertyName("expectBodyContains")]
    public string? ExpectBodyContains { get; set; }

    /// <summary>Fields of a JSON response that must equal the given values.</summary>
    [JsonPropertyName("expectJson")]
    public IList<JsonFieldExpectation>? ExpectJson { get; set; }

    /// <summary>Headers whose values are read from a Secret of the object's namespace at each run; never written anywhere.</summary>
    [JsonPropertyName("secretHeaders")]
    public IList<SecretHeaderSpec>? SecretHeaders { get; set; }
}

/// <summary>A request header whose value comes from a Secret (<c>valueFrom.secretKeyRef</c>), as a container's env var does.</summary>
public sealed class SecretHeaderSpec
{
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>Sent before the Secret's value, e.g. <c>"Bearer "</c>.</summary>
    [JsonPropertyName("prefix")]
    public string? Prefix { get; set; }

    [Required]
    [JsonPropertyName("valueFrom")]
    public HeaderValueSource ValueFrom { get; set; } = new();
}

public sealed class HeaderValueSource
{
    [Required]
    [JsonPropertyName("secretKeyRef")]
    public SecretKeyReference SecretKeyRef { get; set; } = new();
}

/// <summary>One key of a Secret in the object's own namespace.</summary>
public sealed class SecretKeyReference
{
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

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

    [Required]
    [JsonPropertyName("equals")]
    public string EqualTo { get; set; } = "";
}

/// <summary>An Open Inference Protocol v2 request and the outputs it must produce.</summary>
public sealed class InferenceCheckSpec
{
    [Required]
    [JsonPropertyName("port")]
    public int Port { get; set; }

    [Required]
    [JsonPropertyName("model")]
    public string Model { get; set; } = "";

    [JsonPropertyName("modelVersion")]
    public string? ModelVersion { get; set; }

    [Required]
    [JsonPropertyName("inputs")]
    public IList<InferenceTensorSpec> Inputs { get; set; } = [];

    [JsonPropertyName("expectOutputs")]
    public IList<ExpectedOutputSpec> ExpectOutputs { get; set; } = [];

    /// <summary>Headers whose values are read from a Secret of the object's namespace at each run; never written anywhere.</summary>
    [JsonPropertyName("secretHeaders")]
    public IList<SecretHeaderSpec>? SecretHeaders { get; set; }
}

public sealed class InferenceTensorSpec
{
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [Required]
    [JsonPropertyName("shape")]
    public IList<long> Shape { get; set; } = [];

    [Required]
    [JsonPropertyName("datatype")]
    public string Datatype { get; set; } = "";

    [Required]
    [JsonPropertyName("data")]
    public IList<double> Data { get; set; } = [];
}

public sealed class ExpectedOutputSpec
{
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [Required]
    [JsonPropertyName("data")]
    public IList<double> Data { get; set; } = [];

    [JsonPropertyName("tolerance")]
    public double Tolerance { get; set; }
}

public sealed class PrometheusCheckSpec
{
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

    /// <summary>Retries before the Job fails (the Job's backoffLimit).</summary>
    [JsonPropertyName("backoffLimit")]
    public int BackoffLimit { get; set; }

    /// <summary>The Job's own time limit; never beyond the end of the stage the check serves.</summary>
    [JsonPropertyName("activeDeadlineSeconds")]
    public int? ActiveDeadlineSeconds { get; set; }
}

public sealed class AnalysisSpec
{
    [JsonPropertyName("intervalSeconds")]
    public int IntervalSeconds { get; set; } = 15;

    /// <summary>Consecutive failed runs that trigger an automatic rollback.</summary>
    [JsonPropertyName("failureLimit")]
    public int FailureLimit { get; set; } = 2;

    [JsonPropertyName("checks")]
    public IList<CheckSpec> Checks { get; set; } = [];
}

public sealed class BlueGreenDeploymentStatus
{
    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; set; }

    /// <summary>The revision (hash of template and model version) of the spec at observedGeneration.</summary>
    [JsonPropertyName("currentRevision")]
    public string? CurrentRevision { get; set; }

    [JsonPropertyName("phase")]
    public string? Phase { get; set; }

    /// <summary>Pods of the serving colour (the scale subresource's status.replicas: what an autoscaler counts).</summary>
    [JsonPropertyName("replicas")]
    public int? Replicas { get; set; }

    /// <summary>The label selector of the serving colour's pods (the scale subresource's selector: the standby is not in it).</summary>
    [JsonPropertyName("selector")]
    public string? Selector { get; set; }

    /// <summary>The colour the operator decided serves; the active Service is made to select it.</summary>
    [JsonPropertyName("activeColor")]
    public string? ActiveColor { get; set; }

    [JsonPropertyName("activeRevision")]
    public string? ActiveRevision { get; set; }

    [JsonPropertyName("activeModelVersion")]
    public string? ActiveModelVersion { get; set; }

    /// <summary>The pod-template-hash of the pods that passed the checks: the active Service selects only these.</summary>
    [JsonPropertyName("activePodTemplateHash")]
    public string? ActivePodTemplateHash { get; set; }

    /// <summary>The colour under test and its revision, while a release has not switched yet.</summary>
    [JsonPropertyName("previewColor")]
    public string? PreviewColor { get; set; }

    [JsonPropertyName("previewRevision")]
    public string? PreviewRevision { get; set; }

    [JsonPropertyName("previewModelVersion")]
    public string? PreviewModelVersion { get; set; }

    /// <summary>The colour that served before the last switch, kept as a warm standby until stabilization ends.</summary>
    [JsonPropertyName("standbyColor")]
    public string? StandbyColor { get; set; }

    [JsonPropertyName("standbyRevision")]
    public string? StandbyRevision { get; set; }

    [JsonPropertyName("standbyModelVersion")]
    public string? StandbyModelVersion { get; set; }

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

    /// <summary>The revision whose smoke tests passed, on how many pods, and the pod-template-hash of those pods.</summary>
    [JsonPropertyName("testedRevision")]
    public string? TestedRevision { get; set; }

    [JsonPropertyName("testedPods")]
    public int? TestedPods { get; set; }

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

    [JsonPropertyName("conditions")]
    public IList<V1Condition>? Conditions { get; set; }

    [JsonPropertyName("message")]
    public string? Message { get; set; }
}

public sealed class AnalysisStatus
{
    [JsonPropertyName("lastRunAt")]
    public DateTime? LastRunAt { get; set; }

    [JsonPropertyName("consecutiveFailures")]
    public int ConsecutiveFailures { get; set; }

    [JsonPropertyName("runs")]
    public int Runs { get; set; }

    /// <summary>The last run, one entry per check.</summary>
    [JsonPropertyName("results")]
    public IList<CheckResult>? Results { get; set; }
}

/// <summary>One check's outcome over every pod it ran against (or once, for a query): small whatever the pod count.</summary>
public sealed class CheckResult
{
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [Required]
    [JsonPropertyName("passed")]
    public bool Passed { get; set; }

    /// <summary>How many pods the check ran against (0 for a query that runs once).</summary>
    [JsonPropertyName("pods")]
    public int Pods { get; set; }

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
    [JsonPropertyName("color")]
    public string? Color { get; set; }

    [JsonPropertyName("revision")]
    public string? Revision { get; set; }

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
    [Required]
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    /// <summary>Requests sent to the pod.</summary>
    [JsonPropertyName("requests")]
    public int Requests { get; set; }

    /// <summary>Requests that failed or did not answer as a check would expect (a warm-up never fails a release).</summary>
    [JsonPropertyName("failed")]
    public int Failed { get; set; }

    [JsonPropertyName("firstLatencyMs")]
    public long FirstLatencyMs { get; set; }

    [JsonPropertyName("lastLatencyMs")]
    public long LastLatencyMs { get; set; }
}
