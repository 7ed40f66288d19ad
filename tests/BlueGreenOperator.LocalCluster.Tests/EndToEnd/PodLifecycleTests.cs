using System.Net;
using BlueGreenOperator.LocalCluster.Networking;
using BlueGreenOperator.LocalCluster.Processes;
using BlueGreenOperator.LocalCluster.Testing;
using FluentAssertions;
using k8s;
using k8s.Autorest;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.LocalCluster.Tests.EndToEnd;

/// <summary>The local kubelet runs pods as real processes with real probes, on the real control plane.</summary>
public sealed class PodLifecycleTests : ClusterTest
{
    [Test]
    public async Task Should_make_a_deployment_available_whose_endpoints_list_pod_addresses_that_answer_http()
    {
        var container = Workloads.HttpContainer(readiness: Workloads.HttpProbe("/"));
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Workloads.Deployment("web", 2, container), Space.Name);
        await Client.CoreV1.CreateNamespacedServiceAsync(Workloads.Service("web", "web"), Space.Name);

        await Client.WaitForDeploymentAvailableAsync(Space.Name, "web");

        var pods = await Client.ListPodsAsync(Space.Name, "app=web");
        var addresses = pods.Select(pod => pod.Status.PodIP).Order().ToList();
        addresses.Should().HaveCount(2).And.OnlyHaveUniqueItems();
        addresses.Should().OnlyContain(address => Cluster.State.InPodSubnet(address));
        await Eventually.UntilAsync(
            async token => (await Client.ReadyEndpointAddressesAsync(Space.Name, "web", token)).SequenceEqual(addresses),
            TimeSpan.FromSeconds(30),
            "the endpoints to list both pods");
        foreach (var address in addresses)
        {
            using var response = await Http.GetAsync(new Uri($"http://{address}:{Workloads.Port}/"));
            response.StatusCode.Should().Be(HttpStatusCode.OK, $"the pod at {address} serves HTTP");
        }

        foreach (var pod in pods)
        {
            (await PodNetwork.ProcessesInAsync(Cluster.Network.NamespaceFor(pod.Metadata.Uid), CancellationToken.None))
                .Should().NotBeEmpty("each pod runs as a real process in its own network namespace");
        }
    }

    [Test]
    public async Task Should_keep_a_never_ready_pod_out_of_the_endpoints()
    {
        await Client.CoreV1.CreateNamespacedServiceAsync(Workloads.Service("web", "web"), Space.Name);
        await Client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("ready", Workloads.HttpContainer(readiness: Workloads.HttpProbe("/"))), Space.Name);
        await Client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("never-ready", Workloads.HttpContainer(readiness: Workloads.HttpProbe("/missing"))), Space.Name);

        var ready = await Client.WaitForPodAsync(Space.Name, "ready", pod => pod.IsReady(), "to be ready");
        var neverReady = await Client.WaitForPodAsync(
            Space.Name,
            "never-ready",
            pod => pod.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Running is not null && pod.Status.PodIP is not null,
            "to be running");
        await Eventually.UntilAsync(
            async token => (await Client.ReadyEndpointAddressesAsync(Space.Name, "web", token)).Contains(ready.Status.PodIP),
            TimeSpan.FromSeconds(30),
            "the ready pod to enter the endpoints");

        // Several probe periods: the pod must stay out the whole time, not only at one instant.
        for (var sample = 0; sample < 10; sample++)
        {
            (await Client.ReadyEndpointAddressesAsync(Space.Name, "web")).Should().NotContain(neverReady.Status.PodIP);
            await Task.Delay(500);
        }

        var latest = await Client.CoreV1.ReadNamespacedPodAsync("never-ready", Space.Name);
        latest.IsReady().Should().BeFalse();
        latest.Status.ContainerStatuses.Single().Ready.Should().BeFalse();
        latest.Status.Phase.Should().Be("Running");
    }

    [Test]
    public async Task Should_add_a_pod_to_the_endpoints_once_it_becomes_ready()
    {
        await Client.CoreV1.CreateNamespacedServiceAsync(Workloads.Service("web", "web"), Space.Name);
        var slow = Workloads.HttpContainer(readiness: Workloads.HttpProbe("/"));
        slow.Command = ["sh", "-c", "sleep 4; exec python3 -m http.server 8080 --bind 0.0.0.0"];
        await Client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("slow", slow), Space.Name);

        var starting = await Client.WaitForPodAsync(
            Space.Name,
            "slow",
            pod => pod.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Running is not null && pod.Status.PodIP is not null,
            "to be running");
        starting.IsReady().Should().BeFalse("nothing listens during the first four seconds");
        (await Client.ReadyEndpointAddressesAsync(Space.Name, "web")).Should().NotContain(starting.Status.PodIP);

        await Eventually.UntilAsync(
            async token => (await Client.ReadyEndpointAddressesAsync(Space.Name, "web", token)).Contains(starting.Status.PodIP),
            TimeSpan.FromSeconds(60),
            "the pod to enter the endpoints once ready");
        (await Client.CoreV1.ReadNamespacedPodAsync("slow", Space.Name)).IsReady().Should().BeTrue();
    }

    [Test]
    public async Task Should_restart_a_container_whose_liveness_probe_fails()
    {
        var container = Workloads.HttpContainer(liveness: Workloads.HttpProbe("/missing"));
        container.LivenessProbe.InitialDelaySeconds = 1;
        await Client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("unhealthy", container, terminationGraceSeconds: 2), Space.Name);

        var restarted = await Client.WaitForPodAsync(
            Space.Name,
            "unhealthy",
            pod => pod.Status?.ContainerStatuses?.SingleOrDefault()?.RestartCount >= 2,
            "to be restarted twice",
            TimeSpan.FromSeconds(90));

        restarted.Status.ContainerStatuses.Single().LastState.Terminated.Should().NotBeNull();
    }

    [Test]
    public async Task Should_keep_a_container_whose_liveness_probe_passes()
    {
        var container = Workloads.HttpContainer(liveness: Workloads.HttpProbe("/", failureThreshold: 3));
        container.LivenessProbe.InitialDelaySeconds = 1;
        await Client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("healthy", container), Space.Name);
        await Client.WaitForPodAsync(Space.Name, "healthy", pod => pod.IsReady(), "to be ready");

        await Task.Delay(TimeSpan.FromSeconds(5));

        var pod = await Client.CoreV1.ReadNamespacedPodAsync("healthy", Space.Name);
        pod.Status.ContainerStatuses.Single().RestartCount.Should().Be(0);
    }

    [Test]
    public async Task Should_stop_the_process_with_sigterm_when_its_pod_is_deleted()
    {
        await Client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("short-lived", Workloads.HttpContainer(), terminationGraceSeconds: 60), Space.Name);
        var pod = await Client.WaitForPodAsync(Space.Name, "short-lived", candidate => candidate.IsReady(), "to be ready");
        var processes = await ProcessesOfAsync(pod);

        await Client.CoreV1.DeleteNamespacedPodAsync("short-lived", Space.Name);

        // Well inside the 60 s grace period: the process left on SIGTERM, the kubelet did not wait for SIGKILL.
        await WaitUntilGoneAsync("short-lived", processes, TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task Should_kill_a_process_that_ignores_sigterm_when_the_grace_period_ends()
    {
        var stubborn = Workloads.HttpContainer();
        stubborn.Command = ["sh", "-c", "trap '' TERM; exec python3 -m http.server 8080 --bind 0.0.0.0"];
        await Client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("stubborn", stubborn, terminationGraceSeconds: 4), Space.Name);
        var pod = await Client.WaitForPodAsync(Space.Name, "stubborn", candidate => candidate.IsReady(), "to be ready");
        var processes = await ProcessesOfAsync(pod);

        await Client.CoreV1.DeleteNamespacedPodAsync("stubborn", Space.Name);
        await Task.Delay(TimeSpan.FromSeconds(1));

        processes.Should().Contain(pid => ProcessSignals.IsAlive(pid), "the process ignores SIGTERM and the grace period has not ended");
        await WaitUntilGoneAsync("stubborn", processes, TimeSpan.FromSeconds(30));
    }

    [Test]
    public async Task Should_report_err_image_pull_for_an_image_outside_the_image_table()
    {
        var container = Workloads.HttpContainer();
        container.Image = "registry.invalid/unknown:1.0";
        await Client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("unknown-image", container), Space.Name);

        var pod = await Client.WaitForPodAsync(
            Space.Name,
            "unknown-image",
            candidate => candidate.Status?.ContainerStatuses?.SingleOrDefault()?.State?.Waiting?.Reason == "ErrImagePull",
            "to report ErrImagePull");

        pod.IsReady().Should().BeFalse();
        pod.Status.Phase.Should().Be("Pending");
        pod.Status.ContainerStatuses.Single().Ready.Should().BeFalse();
    }

    [Test]
    public async Task Should_garbage_collect_replica_sets_pods_and_processes_when_a_deployment_is_deleted()
    {
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Workloads.Deployment("doomed", 2, Workloads.HttpContainer()), Space.Name);
        await Client.WaitForDeploymentAvailableAsync(Space.Name, "doomed");
        var pods = await Client.ListPodsAsync(Space.Name, "app=doomed");
        var processes = new List<int>();
        foreach (var pod in pods)
        {
            processes.AddRange(await ProcessesOfAsync(pod));
        }

        (await Client.AppsV1.ListNamespacedReplicaSetAsync(Space.Name)).Items.Should().ContainSingle();

        await Client.AppsV1.DeleteNamespacedDeploymentAsync("doomed", Space.Name, new V1DeleteOptions { PropagationPolicy = "Background" });

        await Eventually.UntilAsync(
            async token => (await Client.AppsV1.ListNamespacedReplicaSetAsync(Space.Name, cancellationToken: token)).Items.Count == 0
                && (await Client.ListPodsAsync(Space.Name, cancellationToken: token)).Count == 0,
            TimeSpan.FromSeconds(60),
            "replica sets and pods to be collected");
        await Eventually.UntilAsync(
            _ => Task.FromResult(!processes.Any(ProcessSignals.IsAlive)),
            TimeSpan.FromSeconds(10),
            "the pods' processes to end");
        var namespaces = await PodNetwork.ListNamespacesAsync(Cluster.State.Prefix, CancellationToken.None);
        namespaces.Should().NotContain(pods.Select(pod => Cluster.Network.NamespaceFor(pod.Metadata.Uid)));
    }

    [Test]
    public async Task Should_run_the_container_with_the_pods_environment_arguments_and_working_directory()
    {
        var container = Workloads.HttpContainer(readiness: Workloads.HttpProbe("/"));
        container.Command = ["sh", "-c"];
        container.Args = ["echo \"$GREETING from $(POD_NAME)\" > greeting.txt && exec python3 -m http.server $(PORT) --bind 0.0.0.0"];
        container.WorkingDir = CreateWorkingDirectory();
        container.Env =
        [
            new V1EnvVar { Name = "GREETING", Value = "hello" },
            new V1EnvVar { Name = "POD_NAME", ValueFrom = new V1EnvVarSource { FieldRef = new V1ObjectFieldSelector { FieldPath = "metadata.name" } } },
        ];
        await Client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("configured", container), Space.Name);
        var pod = await Client.WaitForPodAsync(Space.Name, "configured", candidate => candidate.IsReady(), "to be ready");

        var greeting = await Http.GetStringAsync(new Uri($"http://{pod.Status.PodIP}:{Workloads.Port}/greeting.txt"));

        greeting.Trim().Should().Be("hello from configured");
        File.Exists(Path.Combine(container.WorkingDir, "greeting.txt")).Should().BeTrue("the process ran in the pod's working directory");
    }

    [Test]
    public async Task Should_take_environment_variables_from_config_maps_and_secrets()
    {
        await Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" }, Data = new Dictionary<string, string> { ["mode"] = "fast", ["level"] = "3" } },
            Space.Name);
        await Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = "credentials" }, Data = new Dictionary<string, byte[]> { ["token"] = "s3cret"u8.ToArray() } },
            Space.Name);
        var container = Workloads.HttpContainer(readiness: Workloads.HttpProbe("/"));
        container.Command = ["sh", "-c", "echo \"$MODE $TOKEN $CFG_level\" > env.txt && exec python3 -m http.server 8080 --bind 0.0.0.0"];
        container.WorkingDir = CreateWorkingDirectory();
        container.Env =
        [
            new V1EnvVar { Name = "MODE", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "settings", Key = "mode" } } },
            new V1EnvVar { Name = "TOKEN", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "credentials", Key = "token" } } },
        ];
        container.EnvFrom = [new V1EnvFromSource { ConfigMapRef = new V1ConfigMapEnvSource { Name = "settings" }, Prefix = "CFG_" }];
        await Client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("from-sources", container), Space.Name);
        var pod = await Client.WaitForPodAsync(Space.Name, "from-sources", candidate => candidate.IsReady(), "to be ready");

        var environment = await Http.GetStringAsync(new Uri($"http://{pod.Status.PodIP}:{Workloads.Port}/env.txt"));

        environment.Trim().Should().Be("fast s3cret 3");
    }

    // A listing of the namespace's processes came back empty once for a ready pod (a fresh-clone CI run, under load):
    // the pod's processes are waited for, not expected in the first listing.
    private static async Task<IReadOnlyList<int>> ProcessesOfAsync(V1Pod pod)
    {
        IReadOnlyList<int> processes = [];
        await Eventually.UntilAsync(
            async token => (processes = await PodNetwork.ProcessesInAsync(Cluster.Network.NamespaceFor(pod.Metadata.Uid), token)).Count > 0,
            TimeSpan.FromSeconds(30),
            $"the processes of pod {pod.Metadata.Name} to be listed in its network namespace");
        return processes;
    }

    private async Task WaitUntilGoneAsync(string podName, IReadOnlyList<int> processes, TimeSpan timeout)
    {
        await Eventually.UntilAsync(
            async token =>
            {
                if (processes.Any(ProcessSignals.IsAlive))
                {
                    return false;
                }

                try
                {
                    await Client.CoreV1.ReadNamespacedPodAsync(podName, Space.Name, cancellationToken: token);
                    return false;
                }
                catch (HttpOperationException ex) when (ex.Response.StatusCode == HttpStatusCode.NotFound)
                {
                    return true;
                }
            },
            timeout,
            $"pod {podName} and its processes to be gone");
    }
}
