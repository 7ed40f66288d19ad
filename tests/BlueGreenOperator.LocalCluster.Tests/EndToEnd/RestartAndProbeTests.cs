using BlueGreenOperator.LocalCluster.Testing;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.LocalCluster.Tests.EndToEnd;

/// <summary>Restart policies for processes that exit, and the probe kinds besides httpGet.</summary>
public sealed class RestartAndProbeTests : ClusterTest
{
    [Test]
    public async Task Should_restart_a_container_that_exits_when_the_restart_policy_is_always()
    {
        await Client.CoreV1.CreateNamespacedPodAsync(ExitingPod("crashing", exitCode: 3, restartPolicy: "Always"), Space.Name);

        var pod = await Client.WaitForPodAsync(
            Space.Name,
            "crashing",
            candidate => candidate.Status?.ContainerStatuses?.SingleOrDefault()?.RestartCount >= 2,
            "to be restarted twice");

        var status = pod.Status.ContainerStatuses.Single();
        status.LastState.Terminated.ExitCode.Should().Be(3);
        pod.Status.Phase.Should().Be("Running");
    }

    [TestCase("Never", 3, "Failed")]
    [TestCase("Never", 0, "Succeeded")]
    [TestCase("OnFailure", 0, "Succeeded")]
    public async Task Should_end_the_pod_when_its_container_exits_and_the_restart_policy_says_so(string restartPolicy, int exitCode, string phase)
    {
        await Client.CoreV1.CreateNamespacedPodAsync(ExitingPod("once", exitCode, restartPolicy), Space.Name);

        var pod = await Client.WaitForPodAsync(Space.Name, "once", candidate => candidate.Status?.Phase == phase, $"to be {phase}");

        var status = pod.Status.ContainerStatuses.Single();
        status.State.Terminated.ExitCode.Should().Be(exitCode);
        status.RestartCount.Should().Be(0);
    }

    [TestCase("tcpSocket")]
    [TestCase("exec")]
    public async Task Should_mark_a_pod_ready_when_its_probe_passes(string kind)
    {
        var probe = kind == "tcpSocket"
            ? new V1Probe { TcpSocket = new V1TCPSocketAction { Port = Workloads.Port } }
            : new V1Probe { Exec = new V1ExecAction { Command = ["sh", "-c", "test -e ready.flag"] } };
        probe.PeriodSeconds = 1;
        var container = Workloads.HttpContainer(readiness: probe);
        container.WorkingDir = CreateWorkingDirectory();
        container.Command = ["sh", "-c", "sleep 2; touch ready.flag; exec python3 -m http.server 8080 --bind 0.0.0.0"];
        await Client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("probed", container), Space.Name);

        var running = await Client.WaitForPodAsync(
            Space.Name,
            "probed",
            pod => pod.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Running is not null,
            "to be running");
        running.IsReady().Should().BeFalse("the probe fails for the first two seconds");

        var ready = await Client.WaitForPodAsync(Space.Name, "probed", pod => pod.IsReady(), "to be ready");
        ready.Status.ContainerStatuses.Single().RestartCount.Should().Be(0);
    }

    private static V1Pod ExitingPod(string name, int exitCode, string restartPolicy)
    {
        var container = Workloads.HttpContainer();
        container.Command = ["sh", "-c", $"exit {exitCode}"];
        var pod = Workloads.Pod(name, container);
        pod.Spec.RestartPolicy = restartPolicy;
        return pod;
    }
}
