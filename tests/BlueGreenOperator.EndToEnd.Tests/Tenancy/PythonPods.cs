using BlueGreenOperator.Api;
using k8s.Models;

namespace BlueGreenOperator.EndToEnd.Tests.Tenancy;

/// <summary>
/// Pods that run a small Python HTTP server written by a test (the local image table runs python for
/// <c>bluegreen.dev/busybox-http</c>): on port 8080, ready when <c>GET /ready</c> answers.
/// </summary>
internal static class PythonPods
{
    public const int Port = 8080;

    public static V1PodTemplateSpec Template(string script, IEnumerable<string> arguments, IList<V1EnvVar>? env = null) => new()
    {
        Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "python" } },
        Spec = new V1PodSpec
        {
            TerminationGracePeriodSeconds = 1,
            Containers =
            [
                new V1Container
                {
                    Name = "server",
                    Image = "bluegreen.dev/busybox-http",
                    Command = ["/usr/bin/python3", "-c", script, .. arguments],
                    Env = env,
                    Ports = [new V1ContainerPort { ContainerPort = Port, Name = "http" }],
                    ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/ready", Port = Port }, PeriodSeconds = 1 },
                },
            ],
        },
    };

    /// <summary>A first release of such pods, tested by <paramref name="smokeTests"/>.</summary>
    public static BlueGreenDeployment Rollout(string name, int replicas, V1PodTemplateSpec template, IList<CheckSpec> smokeTests) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new BlueGreenDeploymentSpec
        {
            Replicas = replicas,
            // A plain HTTP server: it does not speak Open Inference Protocol v2 model metadata.
            Model = new ModelSpec { Name = "iris", Version = "python", Identity = new ModelIdentitySpec { Mode = IdentityMode.None } },
            Template = template,
            Service = new ServiceSpec { Name = name, Ports = [new ServicePortSpec { Name = "http", Port = 80, TargetPort = Port }] },
            Strategy = new StrategySpec { ProgressDeadlineSeconds = 600 },
            SmokeTests = smokeTests,
        },
    };
}
