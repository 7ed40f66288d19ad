using BlueGreenOperator.LocalCluster.Kubelet;
using BlueGreenOperator.LocalCluster.Testing;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.LocalCluster.Tests.EndToEnd;

/// <summary>The second node: labelled and tainted as spot capacity, so the real scheduler sends only pods that ask for it.</summary>
public sealed class SpotNodeTests : ClusterTest
{
    [Test]
    public async Task Should_run_a_pod_that_tolerates_and_selects_the_spot_node_there_and_every_other_pod_on_the_first_node()
    {
        var spot = Workloads.Pod("spot", Workloads.HttpContainer(readiness: Workloads.HttpProbe("/")), app: "spot");
        spot.Spec.NodeSelector = new Dictionary<string, string> { [LocalKubelet.CapacityLabel] = LocalKubelet.SpotCapacity };
        spot.Spec.Tolerations = [new V1Toleration { Key = LocalKubelet.CapacityLabel, OperatorProperty = "Equal", Value = LocalKubelet.SpotCapacity, Effect = "NoSchedule" }];
        spot.Spec.Containers[0].Env = [new V1EnvVar { Name = "NODE", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "spec.nodeName" } } }];
        await Client.CoreV1.CreateNamespacedPodAsync(spot, Space.Name);
        await Client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("plain", Workloads.HttpContainer(readiness: Workloads.HttpProbe("/")), app: "plain"), Space.Name);

        var onSpot = await Client.WaitForPodAsync(Space.Name, "spot", pod => pod.IsReady(), "to be ready");
        var plain = await Client.WaitForPodAsync(Space.Name, "plain", pod => pod.IsReady(), "to be ready");

        onSpot.Spec.NodeName.Should().Be(Cluster.State.SpotNodeName);
        plain.Spec.NodeName.Should().Be(Cluster.State.NodeName, "the spot node's taint keeps pods that do not tolerate it away");
        var node = await Client.CoreV1.ReadNodeAsync(Cluster.State.SpotNodeName);
        node.Metadata.Labels.Should().Contain(LocalKubelet.CapacityLabel, LocalKubelet.SpotCapacity);
        node.Status.Capacity.Should().NotContainKey(LocalKubelet.AcceleratorResource, "accelerators are on the first node only");
        (await Http.GetAsync($"http://{onSpot.Status.PodIP}:{Workloads.Port}/")).IsSuccessStatusCode.Should().BeTrue("a pod on the spot node is on the same pod network");
    }

    [Test]
    public async Task Should_refuse_a_pod_that_selects_the_spot_node_without_tolerating_its_taint()
    {
        var pod = Workloads.Pod("intolerant", Workloads.HttpContainer(), app: "intolerant");
        pod.Spec.NodeSelector = new Dictionary<string, string> { [LocalKubelet.CapacityLabel] = LocalKubelet.SpotCapacity };
        await Client.CoreV1.CreateNamespacedPodAsync(pod, Space.Name);

        var refused = await Client.WaitForPodAsync(
            Space.Name,
            "intolerant",
            candidate => candidate.Status?.Conditions?.Any(c => c.Type == "PodScheduled" && c.Status == "False" && c.Reason == "Unschedulable") == true,
            "to be refused by the scheduler");

        refused.Status.Conditions.Single(c => c.Type == "PodScheduled").Message.Should().Contain("taint");
    }
}
