using BlueGreenOperator.LocalCluster.Kubelet;
using BlueGreenOperator.LocalCluster.Testing;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.LocalCluster.Tests.EndToEnd;

/// <summary>Init containers run to completion, in order, before the pod's containers start.</summary>
public sealed class InitContainerTests : ClusterTest
{
    [Test]
    public async Task Should_run_init_containers_in_order_before_the_containers_start()
    {
        var workingDirectory = CreateWorkingDirectory();
        var pod = Workloads.Pod("initialized", Workloads.HttpContainer(readiness: Workloads.HttpProbe("/")));
        pod.Spec.Containers[0].WorkingDir = workingDirectory;
        pod.Spec.InitContainers =
        [
            InitContainer("fetch", "sleep 1; echo fetched > model.txt", workingDirectory),
            InitContainer("check", "test -e model.txt && echo checked >> model.txt", workingDirectory),
        ];
        await Client.CoreV1.CreateNamespacedPodAsync(pod, Space.Name);

        var initializing = await Client.WaitForPodAsync(
            Space.Name,
            "initialized",
            candidate => candidate.Status?.InitContainerStatuses?.FirstOrDefault()?.State?.Running is not null,
            "to run its first init container");
        initializing.Status.Phase.Should().Be("Pending");
        initializing.Status.ContainerStatuses.Single().State.Waiting.Reason.Should().Be("PodInitializing");

        var ready = await Client.WaitForPodAsync(Space.Name, "initialized", candidate => candidate.IsReady(), "to be ready");

        ready.Status.Conditions.Should().Contain(condition => condition.Type == "Initialized" && condition.Status == "True");
        ready.Status.InitContainerStatuses.Should().OnlyContain(status => status.State.Terminated.ExitCode == 0 && status.State.Terminated.Reason == "Completed");
        var served = await Http.GetStringAsync(new Uri($"http://{ready.Status.PodIP}:{Workloads.Port}/model.txt"));
        served.Split('\n', StringSplitOptions.RemoveEmptyEntries).Should().Equal("fetched", "checked");
    }

    [Test]
    public async Task Should_fail_the_pod_without_starting_its_containers_when_an_init_container_fails_and_the_policy_is_never()
    {
        var pod = Workloads.Pod("broken-init", Workloads.HttpContainer());
        pod.Spec.RestartPolicy = "Never";
        pod.Spec.InitContainers = [InitContainer("fail", "exit 4", null)];
        await Client.CoreV1.CreateNamespacedPodAsync(pod, Space.Name);

        var failed = await Client.WaitForPodAsync(Space.Name, "broken-init", candidate => candidate.Status?.Phase == "Failed", "to fail");

        failed.Status.InitContainerStatuses.Single().State.Terminated.ExitCode.Should().Be(4);
        failed.Status.ContainerStatuses.Single().State.Running.Should().BeNull();
        failed.Status.Conditions.Should().Contain(condition => condition.Type == "Initialized" && condition.Status == "False");
        failed.Status.PodIP.Should().NotBeNull();
        var request = () => Http.GetAsync(new Uri($"http://{failed.Status.PodIP}:{Workloads.Port}/"));
        await request.Should().ThrowAsync<HttpRequestException>("the pod's container never started");
    }

    private static V1Container InitContainer(string name, string script, string? workingDirectory) => new()
    {
        Name = name,
        Image = ImageCatalog.HttpImage,
        Command = ["sh", "-c", script],
        WorkingDir = workingDirectory,
    };
}
