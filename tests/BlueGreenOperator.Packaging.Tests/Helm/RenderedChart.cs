using k8s;
using k8s.Models;

namespace BlueGreenOperator.Packaging.Tests.Helm;

/// <summary>The objects `helm template` produced, typed by KubernetesClient (strictly: a misspelt field fails).</summary>
internal sealed record RenderedChart(IReadOnlyList<IKubernetesObject<V1ObjectMeta>> Objects)
{
    private static readonly Dictionary<string, Type> CustomKinds = new()
    {
        ["monitoring.coreos.com/v1/ServiceMonitor"] = typeof(ServiceMonitor),
        ["monitoring.coreos.com/v1/PrometheusRule"] = typeof(PrometheusRule),
    };

    public static RenderedChart Parse(string yaml) =>
        new(KubernetesYaml.LoadAllFromString(yaml, CustomKinds, strict: true)
            .Cast<IKubernetesObject<V1ObjectMeta>>()
            .ToList());

    public IEnumerable<T> All<T>() => Objects.OfType<T>();

    public T Single<T>() => All<T>().Should().ContainSingle("exactly one {0} is rendered", typeof(T).Name).Subject;

    public V1Container OperatorContainer =>
        Single<V1Deployment>().Spec.Template.Spec.Containers.Should().ContainSingle().Subject;

    public string? Env(string name) =>
        OperatorContainer.Env.Should().ContainSingle(variable => variable.Name == name, "env {0} is set once", name).Subject.Value;

    public IEnumerable<V1PolicyRule> AllRules =>
        All<V1ClusterRole>().SelectMany(role => role.Rules).Concat(All<V1Role>().SelectMany(role => role.Rules));
}

/// <summary>The part of a Prometheus Operator ServiceMonitor the chart renders.</summary>
internal sealed class ServiceMonitor : IKubernetesObject<V1ObjectMeta>
{
    public string ApiVersion { get; set; } = string.Empty;

    public string Kind { get; set; } = string.Empty;

    public V1ObjectMeta Metadata { get; set; } = new();

    public ServiceMonitorSpec Spec { get; set; } = new();
}

internal sealed class ServiceMonitorSpec
{
    public V1LabelSelector Selector { get; set; } = new();

    public NamespaceSelector NamespaceSelector { get; set; } = new();

    public List<ScrapeEndpoint> Endpoints { get; set; } = [];
}

internal sealed class NamespaceSelector
{
    public List<string> MatchNames { get; set; } = [];
}

internal sealed class ScrapeEndpoint
{
    public string Port { get; set; } = string.Empty;

    public string Path { get; set; } = string.Empty;

    public string Interval { get; set; } = string.Empty;

    public string ScrapeTimeout { get; set; } = string.Empty;
}

/// <summary>A Prometheus Operator PrometheusRule: the groups of a Prometheus rule file.</summary>
internal sealed class PrometheusRule : IKubernetesObject<V1ObjectMeta>
{
    public string ApiVersion { get; set; } = string.Empty;

    public string Kind { get; set; } = string.Empty;

    public V1ObjectMeta Metadata { get; set; } = new();

    public RuleFile Spec { get; set; } = new();
}

/// <summary>A Prometheus rule file (the same shape as a PrometheusRule's spec).</summary>
internal sealed class RuleFile
{
    public List<RuleGroup> Groups { get; set; } = [];
}

internal sealed class RuleGroup
{
    public string Name { get; set; } = string.Empty;

    public List<AlertRule> Rules { get; set; } = [];
}

internal sealed class AlertRule
{
    public string Alert { get; set; } = string.Empty;

    public string Expr { get; set; } = string.Empty;

    public string? For { get; set; }

    public Dictionary<string, string> Labels { get; set; } = [];

    public Dictionary<string, string> Annotations { get; set; } = [];
}
