using BlueGreenOperator.Api;
using BlueGreenOperator.LocalCluster.Kubelet;
using k8s.Models;

namespace BlueGreenOperator.Benchmarks.Harness;

/// <summary>The BlueGreenDeployments the benchmark rolls out: one object and one pod a colour, short timers.</summary>
internal static class Releases
{
    const int ServerPort = 8080;

    /// <summary>The example model server; <paramref name="weights"/> picks the trained model (v1 or v2), <paramref name="version"/> names the release.</summary>
    public static BlueGreenDeployment ModelServer(
        string name, string version, string weights, int stabilizationSeconds, IDictionary<string, string>? knobs = null, AnalysisSpec? analysis = null)
    {
        // The server names the release's version, which the operator asks each pod for before its tests.
        var env = new List<V1EnvVar> { new() { Name = "MODEL_VERSION", Value = weights }, new() { Name = "REPORTED_VERSION", Value = version } };
        env.AddRange((knobs ?? new Dictionary<string, string>()).Select(k => new V1EnvVar { Name = k.Key, Value = k.Value }));
        var release = Release(name, "iris", version, $"{ImageCatalog.ModelServerImage}:{weights}", env, "/v2/health/ready", stabilizationSeconds, QuickProbe);
        release.Spec.SmokeTests.Add(GoldenPrediction("golden"));
        release.Spec.Analysis = analysis;
        return release;
    }

    /// <summary>An Open Inference Protocol v2 request for a setosa flower that every model version must answer with class 0.</summary>
    public static CheckSpec GoldenPrediction(string name, int? maxLatencyMs = null) => new()
    {
        Name = name,
        Inference = new InferenceCheckSpec
        {
            Port = ServerPort,
            Model = "iris",
            Inputs = [new InferenceTensorSpec { Name = "input-0", Shape = [1, 4], Datatype = "FP32", Data = [5.1, 3.5, 1.4, 0.2] }],
            ExpectOutputs = [new ExpectedOutputSpec { Name = "output-0", Data = [0] }],
        },
        MaxLatencyMs = maxLatencyMs,
    };

    /// <summary>A tiny HTTP server (about 2 MiB a pod) for the many-object runs, where the model server's 60 MiB a pod would be the load.</summary>
    public static BlueGreenDeployment TinyServer(string name, string version, int stabilizationSeconds, int probePeriodSeconds = TolerantProbePeriod)
    {
        var release = Release(name, "tiny", version, ImageCatalog.TinyHttpImage, [new V1EnvVar { Name = "RELEASE", Value = version }], "/", stabilizationSeconds, (probePeriodSeconds, 3));
        // A plain HTTP server: it reports no model version to ask for.
        release.Spec.Model.Identity = new ModelIdentitySpec { Mode = IdentityMode.None };
        return release;
    }

    /// <summary>A plain Deployment of the same pods as <see cref="TinyServer"/>'s: the readiness baseline of the simultaneous rollouts.</summary>
    public static V1Deployment PlainTinyServer(string name, string version)
    {
        var template = TinyServer(name, version, 0).Spec.Template;
        return new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1DeploymentSpec
            {
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string>(template.Metadata.Labels) },
                Template = template,
            },
        };
    }

    /// <summary>One object alone: react to readiness within a second.</summary>
    static readonly (int PeriodSeconds, int FailureThreshold) QuickProbe = (1, 1);

    // Hundreds of pods probed on two busy cores: one slow answer must not make a pod unready (and its release fail its smoke tests).
    public const int TolerantProbePeriod = 2;

    // A thousand pods at rest: their probes would otherwise be most of the machine's load.
    public const int SlowProbePeriod = 10;

    static BlueGreenDeployment Release(
        string name, string model, string version, string image, List<V1EnvVar> env, string readyPath, int stabilizationSeconds, (int PeriodSeconds, int FailureThreshold) probe) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new BlueGreenDeploymentSpec
        {
            Replicas = 1,
            Model = new ModelSpec { Name = model, Version = version },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec
                {
                    TerminationGracePeriodSeconds = 2,
                    Containers =
                    [
                        new V1Container
                        {
                            Name = "server",
                            Image = image,
                            Env = env,
                            Ports = [new V1ContainerPort { ContainerPort = ServerPort, Name = "http" }],
                            ReadinessProbe = new V1Probe
                            {
                                HttpGet = new V1HTTPGetAction { Path = readyPath, Port = ServerPort },
                                PeriodSeconds = probe.PeriodSeconds,
                                FailureThreshold = probe.FailureThreshold,
                            },
                        },
                    ],
                },
            },
            Service = new ServiceSpec { Name = name, Ports = [new ServicePortSpec { Name = "http", Port = 80, TargetPort = ServerPort }] },
            Strategy = new StrategySpec
            {
                PreviewReplicas = 1,
                ProgressDeadlineSeconds = 300,
                ScaleDownDelaySeconds = Math.Min(1, stabilizationSeconds),
                StandbyReplicas = 1,
                StabilizationSeconds = stabilizationSeconds,
            },
            SmokeTests = [new CheckSpec { Name = "ready", Http = new HttpCheckSpec { Port = ServerPort, Path = readyPath, ExpectStatus = 200 } }],
        },
    };
}
