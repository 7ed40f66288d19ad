using BlueGreenOperator.LocalCluster.Kubelet;
using k8s.Models;

namespace BlueGreenOperator.LocalCluster.Tests.EndToEnd;

/// <summary>Pods, Deployments and Services of the built-in HTTP image, as the tests use them.</summary>
internal static class Workloads
{
    public const int Port = 8080;

    public static V1Container HttpContainer(V1Probe? readiness = null, V1Probe? liveness = null) => new()
    {
        Name = "http",
        Image = ImageCatalog.HttpImage,
        Ports = [new V1ContainerPort { ContainerPort = Port, Name = "http" }],
        ReadinessProbe = readiness,
        LivenessProbe = liveness,
    };

    public static V1Probe HttpProbe(string path, int port = Port, int failureThreshold = 1) => new()
    {
        HttpGet = new V1HTTPGetAction { Path = path, Port = port },
        PeriodSeconds = 1,
        TimeoutSeconds = 1,
        FailureThreshold = failureThreshold,
    };

    public static V1Pod Pod(string name, V1Container container, string app = "web", long? terminationGraceSeconds = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["app"] = app } },
        Spec = new V1PodSpec { Containers = [container], TerminationGracePeriodSeconds = terminationGraceSeconds },
    };

    public static V1Deployment Deployment(string name, int replicas, V1Container container) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = name } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = name } },
                Spec = new V1PodSpec { Containers = [container], TerminationGracePeriodSeconds = 5 },
            },
        },
    };

    public static V1Service Service(string name, string app) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1ServiceSpec
        {
            Selector = new Dictionary<string, string> { ["app"] = app },
            Ports = [new V1ServicePort { Port = 80, TargetPort = Port }],
        },
    };
}
