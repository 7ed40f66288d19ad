using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using k8s.Models;

namespace BlueGreenOperator.Tests.Rollout;

/// <summary>Builders for observed states: the resource, its Deployments, Services and pods, and check reports.</summary>
internal static class Given
{
    public static readonly DateTime T0 = new(2026, 11, 20, 12, 0, 0, DateTimeKind.Utc);

    public static BlueGreenDeployment Resource(string modelVersion = "v1", Action<BlueGreenDeploymentSpec>? edit = null)
    {
        var resource = new BlueGreenDeployment
        {
            Metadata = new V1ObjectMeta { Name = "fraud-model", NamespaceProperty = "ml", Uid = "uid-1", Generation = 1, ResourceVersion = "1" },
            Spec = new BlueGreenDeploymentSpec
            {
                Replicas = 3,
                Model = new ModelSpec { Name = "iris", Version = modelVersion },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "iris" } },
                    Spec = new V1PodSpec
                    {
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "server",
                                Image = "bluegreen.dev/example-model-server:" + modelVersion,
                                Env = [new V1EnvVar { Name = "MODEL_VERSION", Value = modelVersion }],
                            },
                        ],
                    },
                },
                Service = new ServiceSpec { Name = "fraud-model", Ports = [new ServicePortSpec { Name = "http", Port = 80, TargetPort = 8080 }] },
                Strategy = new StrategySpec { ScaleDownDelaySeconds = 30, StandbyReplicas = 1, StabilizationSeconds = 600, ProgressDeadlineSeconds = 300 },
                SmokeTests =
                [
                    new CheckSpec { Name = "ready", Http = new HttpCheckSpec { Port = 8080, Path = "/v2/health/ready" } },
                ],
            },
        };
        edit?.Invoke(resource.Spec);
        return resource;
    }

    public static string Revision(BlueGreenDeployment resource) => RevisionHash.Compute(resource.Spec);

    public static BlueGreenDeployment WithStatus(this BlueGreenDeployment resource, BlueGreenDeploymentStatus? status)
    {
        resource.Status = status;
        return resource;
    }

    public static BlueGreenDeployment WithAction(this BlueGreenDeployment resource, string action)
    {
        resource.Metadata.Annotations = new Dictionary<string, string> { [WellKnown.ActionAnnotation] = action };
        return resource;
    }
}
