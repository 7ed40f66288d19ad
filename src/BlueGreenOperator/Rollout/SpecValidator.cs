using System.Text.RegularExpressions;
using BlueGreenOperator.Api;

namespace BlueGreenOperator.Rollout;

/// <summary>
/// The rules the CRD schema cannot express on every cluster (cross-field rules, uniqueness, tensor shapes).
/// Returns every problem found; never throws, whatever the input (JSON can put null anywhere).
/// </summary>
public static partial class SpecValidator
{
    public const int MaxReplicas = 1000;
    public const int MaxChecks = 50;
    public const int MaxTensorElements = 65_536;
    public const int MaxSeconds = 7 * 24 * 3600;

    public static readonly IReadOnlySet<string> Datatypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64",
    };

    static readonly HashSet<string> HttpMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
    static readonly HashSet<string> Protocols = ["TCP", "UDP", "SCTP"];

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123();

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValue();

    // Specs are not changed once read (each watch event brings new objects): validate each one once per name.
    static readonly System.Runtime.CompilerServices.ConditionalWeakTable<BlueGreenDeploymentSpec, Tuple<string, IReadOnlyList<string>>> Validated = [];

    public static IReadOnlyList<string> Validate(BlueGreenDeployment resource)
    {
        if (resource.Spec is not { } spec)
            return Check(resource);
        var name = resource.Metadata?.Name ?? "";
        if (Validated.TryGetValue(spec, out var known) && known.Item1 == name)
            return known.Item2;
        var errors = Check(resource);
        Validated.AddOrUpdate(spec, Tuple.Create(name, errors));
        return errors;
    }

    static IReadOnlyList<string> Check(BlueGreenDeployment resource)
    {
        var errors = new List<string>();
        var name = resource.Metadata?.Name ?? "";
        if (!IsLabel(name + "-green", Dns1123()))
            errors.Add($"metadata.name '{name}' is too long or not a DNS-1123 label once '-green' is added");

        var spec = resource.Spec;
        if (spec is null)
        {
            errors.Add("spec is required");
            return errors;
        }

        if (spec.Replicas is < 1 or > MaxReplicas)
            errors.Add($"spec.replicas must be between 1 and {MaxReplicas}, got {spec.Replicas}");

        ValidateModel(spec.Model, errors);
        ValidateTemplate("spec.template", spec.Template, errors);
        ValidateService(spec.Service, errors);
        ValidateStrategy(spec.Strategy, spec.Replicas, errors);
        ValidateChecks("spec.smokeTests", spec.SmokeTests, allowPrometheus: false, errors);
        if (spec.Analysis is { } analysis)
        {
            Range("spec.analysis.intervalSeconds", analysis.IntervalSeconds, 1, 3600, errors);
            Range("spec.analysis.failureLimit", analysis.FailureLimit, 1, 100, errors);
            ValidateChecks("spec.analysis.checks", analysis.Checks, allowPrometheus: true, errors);
            Checks.Queries.PrometheusCheckRules.Validate("spec.analysis", analysis, resource.Metadata?.NamespaceProperty ?? "", errors);
        }

        ValidateGates(spec, errors);
        Checks.Replay.ReplayRules.Validate("spec.replay", spec.Replay, errors);

        return errors;
    }

    /// <summary>Warm-up requests per round at most.</summary>
    public const int MaxWarmupRequests = 8;

    static void ValidateGates(BlueGreenDeploymentSpec spec, List<string> errors)
    {
        if (spec.Model?.Identity is { } identity)
        {
            if (!IdentityMode.All.Contains(identity.Mode ?? ""))
                errors.Add($"spec.model.identity.mode '{Shorten(identity.Mode)}' is not one of {string.Join(", ", IdentityMode.All)}");
            if (identity.Port is { } port)
                Range("spec.model.identity.port", port, 1, 65535, errors);
        }

        foreach (var (at, checks) in new[] { ("spec.smokeTests", spec.SmokeTests), ("spec.analysis.checks", spec.Analysis?.Checks) })
        {
            if (checks?.Any(c => c?.Name == PodGates.IdentityCheck) == true)
                errors.Add($"{at}: the check name '{PodGates.IdentityCheck}' is the model identity question's");
        }

        // P7: the replay after the switch reports among the analysis results under its own name.
        if (spec.Replay is { AfterSwitch: true } && spec.Analysis?.Checks?.Any(c => c?.Name == Checks.Replay.ReplayRunner.CheckName) == true)
            errors.Add($"spec.analysis.checks: the check name '{Checks.Replay.ReplayRunner.CheckName}' is the replay's (spec.replay.afterSwitch)");

        if (spec.Warmup is not { } warmup)
            return;
        if (warmup.Requests?.Count > MaxWarmupRequests)
            errors.Add($"spec.warmup.requests holds {warmup.Requests.Count} requests; at most {MaxWarmupRequests} are allowed");
        else
            ValidateChecks("spec.warmup.requests", warmup.Requests, allowPrometheus: false, errors);
        Range("spec.warmup.count", warmup.Count, 1, 1000, errors);
        Range("spec.warmup.maxCount", warmup.MaxCount, 1, 1000, errors);
        Range("spec.warmup.stableWindow", warmup.StableWindow, 0, 100, errors);
        Range("spec.warmup.standbyIntervalSeconds", warmup.StandbyIntervalSeconds, 0, 86_400, errors);
        if (!(warmup.StableRatio >= 1) || !double.IsFinite(warmup.StableRatio))
            errors.Add($"spec.warmup.stableRatio must be a finite number of at least 1, got {warmup.StableRatio}");
    }

    static void ValidateModel(ModelSpec? model, List<string> errors)
    {
        if (model is null)
        {
            errors.Add("spec.model is required");
            return;
        }

        if (string.IsNullOrWhiteSpace(model.Name))
            errors.Add("spec.model.name is required");
        if (string.IsNullOrEmpty(model.Version))
            errors.Add("spec.model.version is required");
        else if (!IsLabel(model.Version, LabelValue()))
            errors.Add($"spec.model.version '{Shorten(model.Version)}' must be a label value: at most 63 characters of [A-Za-z0-9-_.], alphanumeric at both ends");
    }

    static void ValidateTemplate(string at, k8s.Models.V1PodTemplateSpec? template, List<string> errors)
    {
        var containers = template?.Spec?.Containers;
        if (containers is null || containers.Count == 0)
        {
            errors.Add($"{at}.spec.containers must hold at least one container");
            return;
        }

        for (var i = 0; i < containers.Count; i++)
        {
            var container = containers[i];
            if (container is null || string.IsNullOrWhiteSpace(container.Name) || string.IsNullOrWhiteSpace(container.Image))
                errors.Add($"{at}.spec.containers[{i}] needs a name and an image");
        }
    }

    static void ValidateService(ServiceSpec? service, List<string> errors)
    {
        if (service is null)
        {
            errors.Add("spec.service is required");
            return;
        }

        if (!IsLabel(service.Name, Dns1035()))
            errors.Add($"spec.service.name '{Shorten(service.Name)}' must be a DNS-1035 label");
        if (service.PreviewName is not null && !IsLabel(service.PreviewName, Dns1035()))
            errors.Add($"spec.service.previewName '{Shorten(service.PreviewName)}' must be a DNS-1035 label");
        if (PreviewServiceName(service) == service.Name)
            errors.Add("spec.service.previewName must differ from spec.service.name");
        if (service.PreviewName is null && !IsLabel(PreviewServiceName(service), Dns1035()))
            errors.Add($"spec.service.name is too long to derive the preview Service name '{Shorten(PreviewServiceName(service))}'; set spec.service.previewName");

        var ports = service.Ports ?? [];
        if (ports.Count == 0)
            errors.Add("spec.service.ports must hold at least one port");
        var seenNames = new HashSet<string>();
        var seenPorts = new HashSet<(int, string)>();
        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            var at = $"spec.service.ports[{i}]";
            if (port is null)
            {
                errors.Add($"{at} is empty");
                continue;
            }

            Range($"{at}.port", port.Port, 1, 65535, errors);
            Range($"{at}.targetPort", port.TargetPort, 1, 65535, errors);
            if (!Protocols.Contains(port.Protocol ?? ""))
                errors.Add($"{at}.protocol must be TCP, UDP or SCTP");
            if (ports.Count > 1 && string.IsNullOrEmpty(port.Name))
                errors.Add($"{at}.name is required when there are several ports");
            if (port.Name is not null && (!IsLabel(port.Name, Dns1123()) || !seenNames.Add(port.Name)))
                errors.Add($"{at}.name '{Shorten(port.Name)}' must be a unique DNS-1123 label");
            if (!seenPorts.Add((port.Port, port.Protocol ?? "")))
                errors.Add($"{at}.port {port.Port} is listed twice");
        }
    }

    static void ValidateStrategy(StrategySpec? strategy, int replicas, List<string> errors)
    {
        if (strategy is null)
            return;
        if (strategy.PreviewReplicas is { } preview && (preview < 1 || preview > replicas))
            errors.Add($"spec.strategy.previewReplicas must be between 1 and spec.replicas ({replicas}), got {preview}");
        if (strategy.StandbyReplicas < 0 || strategy.StandbyReplicas > replicas)
            errors.Add($"spec.strategy.standbyReplicas must be between 0 and spec.replicas ({replicas}), got {strategy.StandbyReplicas}");
        Range("spec.strategy.progressDeadlineSeconds", strategy.ProgressDeadlineSeconds, 1, MaxSeconds, errors);
        Range("spec.strategy.scaleDownDelaySeconds", strategy.ScaleDownDelaySeconds, 0, MaxSeconds, errors);
        Range("spec.strategy.stabilizationSeconds", strategy.StabilizationSeconds, 0, MaxSeconds, errors);
    }

    static void ValidateChecks(string at, IList<CheckSpec>? checks, bool allowPrometheus, List<string> errors)
    {
        if (checks is null)
            return;
        if (checks.Count > MaxChecks)
        {
            errors.Add($"{at} holds {checks.Count} checks; at most {MaxChecks} are allowed");
            return;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < checks.Count; i++)
        {
            var check = checks[i];
            var here = $"{at}[{i}]";
            if (check is null)
            {
                errors.Add($"{here} is empty");
                continue;
            }

            if (!IsLabel(check.Name, Dns1123()))
                errors.Add($"{here}.name '{Shorten(check.Name)}' must be a DNS-1123 label");
            else if (!names.Add(check.Name))
                errors.Add($"{here}.name '{check.Name}' is used twice");

            var kinds = (check.Http is null ? 0 : 1) + (check.Inference is null ? 0 : 1) + (check.Prometheus is null ? 0 : 1) + (check.Job is null ? 0 : 1);
            if (kinds != 1)
                errors.Add($"{here} must set exactly one of {(allowPrometheus ? "http, inference, prometheus or job" : "http, inference or job")}");
            if (!allowPrometheus && check.Prometheus is not null)
                errors.Add($"{here}.prometheus is only allowed in spec.analysis.checks");

            Range($"{here}.repeat", check.Repeat, 1, 100, errors);
            Range($"{here}.timeoutSeconds", check.TimeoutSeconds, 1, 300, errors);
            if (check.MaxLatencyMs is { } latency)
                Range($"{here}.maxLatencyMs", latency, 1, 600_000, errors);

            if (check.Http is { } http)
                ValidateHttp(here + ".http", http, errors);
            if (check.Inference is { } inference)
                ValidateInference(here + ".inference", inference, errors);
            if (check.Job is { } job)
                ValidateJob(here, check, job, errors);
            if (check.Prometheus is { } prometheus)
            {
                if (string.IsNullOrWhiteSpace(prometheus.Query))
                    errors.Add($"{here}.prometheus.query is required");
                if (prometheus.Min is null && prometheus.Max is null)
                    errors.Add($"{here}.prometheus needs min, max or both");
                if (prometheus.Min > prometheus.Max)
                    errors.Add($"{here}.prometheus.min must not exceed max");
            }
        }
    }

    static void ValidateJob(string here, CheckSpec check, JobCheckSpec job, List<string> errors)
    {
        // A Job runs once per check run: repeat and a latency bound have no meaning for it.
        if (check.Repeat != 1)
            errors.Add($"{here}.repeat must be 1 for a job check (it runs once per check run)");
        if (check.MaxLatencyMs is not null)
            errors.Add($"{here}.maxLatencyMs does not apply to a job check; use job.activeDeadlineSeconds");
        ValidateTemplate(here + ".job.template", job.Template, errors);
        if (job.Template?.Spec?.RestartPolicy is { } policy && policy is not ("Never" or "OnFailure"))
            errors.Add($"{here}.job.template.spec.restartPolicy must be Never or OnFailure, got '{Shorten(policy)}'");
        Range($"{here}.job.backoffLimit", job.BackoffLimit, 0, Checks.JobCheck.MaxBackoffLimit, errors);
        if (job.ActiveDeadlineSeconds is { } seconds)
            Range($"{here}.job.activeDeadlineSeconds", seconds, 1, MaxSeconds, errors);
    }

    static void ValidateHttp(string at, HttpCheckSpec http, List<string> errors)
    {
        Range(at + ".port", http.Port, 1, 65535, errors);
        if (string.IsNullOrEmpty(http.Path) || http.Path[0] != '/' || http.Path.Contains("://", StringComparison.Ordinal))
            errors.Add($"{at}.path must be an absolute path starting with '/'");
        if (!HttpMethods.Contains(http.Method ?? ""))
            errors.Add($"{at}.method '{Shorten(http.Method)}' is not one of {string.Join(", ", HttpMethods)}");
        Range(at + ".expectStatus", http.ExpectStatus, 100, 599, errors);
        foreach (var expectation in http.ExpectJson ?? [])
        {
            if (expectation is null || string.IsNullOrWhiteSpace(expectation.Path))
                errors.Add($"{at}.expectJson entries need a path");
        }

        Checks.SecretHeaderRules.Validate(at + ".secretHeaders", http.SecretHeaders, http.Headers?.Keys, errors);
    }

    static void ValidateInference(string at, InferenceCheckSpec inference, List<string> errors)
    {
        Range(at + ".port", inference.Port, 1, 65535, errors);
        if (string.IsNullOrWhiteSpace(inference.Model) || inference.Model.Contains('/'))
            errors.Add($"{at}.model must be a model name");
        Checks.SecretHeaderRules.Validate(at + ".secretHeaders", inference.SecretHeaders, null, errors);
        var inputs = inference.Inputs ?? [];
        if (inputs.Count == 0)
            errors.Add($"{at}.inputs must hold at least one tensor");
        for (var i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            var here = $"{at}.inputs[{i}]";
            if (input is null || string.IsNullOrWhiteSpace(input.Name))
            {
                errors.Add($"{here} needs a name");
                continue;
            }

            if (!Datatypes.Contains(input.Datatype ?? ""))
                errors.Add($"{here}.datatype '{Shorten(input.Datatype)}' is not a numeric Open Inference Protocol datatype ({string.Join(", ", Datatypes)})");
            var shape = input.Shape ?? [];
            var data = input.Data ?? [];
            if (shape.Count == 0 || shape.Any(d => d < 1))
            {
                errors.Add($"{here}.shape must list positive dimensions");
                continue;
            }

            var elements = shape.Aggregate(1.0, (n, d) => n * d);
            if (elements > MaxTensorElements)
                errors.Add($"{here}.shape holds {elements} elements; at most {MaxTensorElements} are allowed");
            else if (elements != data.Count)
                errors.Add($"{here}.data holds {data.Count} values but shape [{string.Join(", ", shape)}] needs {elements}");
            if (data.Any(v => !double.IsFinite(v)))
                errors.Add($"{here}.data must hold finite numbers");
        }

        foreach (var output in inference.ExpectOutputs ?? [])
        {
            if (output is null || string.IsNullOrWhiteSpace(output.Name))
                errors.Add($"{at}.expectOutputs entries need a name");
            else if (!double.IsFinite(output.Tolerance) || output.Tolerance < 0)
                errors.Add($"{at}.expectOutputs '{output.Name}' tolerance must be a finite number >= 0");
            else if ((output.Data ?? []).Count > MaxTensorElements || (output.Data ?? []).Any(v => !double.IsFinite(v)))
                errors.Add($"{at}.expectOutputs '{output.Name}' data must hold at most {MaxTensorElements} finite numbers");
        }
    }

    public static string PreviewServiceName(ServiceSpec service) => service.PreviewName ?? service.Name + "-preview";

    static void Range(string at, long value, long min, long max, List<string> errors)
    {
        if (value < min || value > max)
            errors.Add($"{at} must be between {min} and {max}, got {value}");
    }

    static bool IsLabel(string? value, Regex pattern) =>
        value is { Length: > 0 and <= 63 } && pattern.IsMatch(value);

    static string Shorten(string? value) => value is null ? "" : value.Length <= 40 ? value : value[..40] + "…";
}
