using System.Text.Json;
using BlueGreenOperator.LocalCluster.Install;
using BlueGreenOperator.LocalCluster.Metrics;
using BlueGreenOperator.LocalCluster.Processes;
using BlueGreenOperator.LocalCluster.Testing;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.LocalCluster.Tests.EndToEnd;

/// <summary>
/// The aggregated <c>metrics.k8s.io</c> API through the real API server, <c>kubectl top</c>, and the real
/// HorizontalPodAutoscaler controller scaling on it.
/// </summary>
public sealed class MetricsApiTests : ClusterTest
{
    // Burns 10 ms of CPU every 100 ms while the file `load` exists in its working directory, sleeps otherwise.
    private const string Burner = """
        import os, time
        while True:
            if os.path.exists("load"):
                start = time.time()
                while time.time() - start < 0.01:
                    pass
            time.sleep(0.09)
        """;

    [Test]
    public async Task Should_serve_pod_usage_by_namespace_label_selector_and_name_with_a_busy_pod_above_an_idle_one()
    {
        var directory = CreateWorkingDirectory();
        File.WriteAllText(Path.Combine(directory, "load"), "");
        await Client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("busy", BurnerContainer(directory), app: "busy"), Space.Name);
        await Client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("idle", Workloads.HttpContainer(), app: "idle"), Space.Name);

        var selected = await Eventually.WaitForAsync(
            async token => await PodMetricsAsync("app=busy", token) is { Count: 1 } items && items[0].Cpu > 0 ? items : null,
            TimeSpan.FromSeconds(60),
            "metrics of the busy pod");
        var all = await Eventually.WaitForAsync(
            async token => await PodMetricsAsync(null, token) is { Count: 2 } items ? items : null,
            TimeSpan.FromSeconds(60),
            "metrics of both pods");

        selected.Single().Name.Should().Be("busy", "the label selector is the API server's own");
        var busy = all.Single(item => item.Name == "busy");
        var idle = all.Single(item => item.Name == "idle");
        busy.Cpu.Should().BeGreaterThan(idle.Cpu, "the busy pod burns CPU, the idle one waits");
        idle.MemoryBytes.Should().BeGreaterThan(1024 * 1024, "a Python server's resident set");
        var single = await Client.CustomObjects.GetNamespacedCustomObjectAsync(MetricsApi.Group, MetricsApi.Version, Space.Name, "pods", "idle");
        JsonSerializer.SerializeToElement(single).GetProperty("containers")[0].GetProperty("name").GetString().Should().Be("http");
        var missing = () => Client.CustomObjects.GetNamespacedCustomObjectAsync(MetricsApi.Group, MetricsApi.Version, Space.Name, "pods", "absent");
        (await missing.Should().ThrowAsync<k8s.Autorest.HttpOperationException>()).Which.Response.StatusCode.Should().Be(System.Net.HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Should_show_pods_and_the_node_in_kubectl_top()
    {
        await Client.CoreV1.CreateNamespacedPodAsync(Workloads.Pod("top", Workloads.HttpContainer()), Space.Name);
        await Client.WaitForPodAsync(Space.Name, "top", pod => pod.IsReady(), "to be ready");

        var pods = await Eventually.WaitForAsync(
            async token => await KubectlAsync(token, "top", "pods", "--namespace", Space.Name) is { Succeeded: true } result ? result.Output : null,
            TimeSpan.FromSeconds(60),
            "kubectl top pods to answer");
        var nodes = await KubectlAsync(CancellationToken.None, "top", "nodes");

        pods.Should().MatchRegex(@"(?m)^top\s+\d+m\s+\d+Mi");
        nodes.Succeeded.Should().BeTrue(nodes.Error);
        nodes.Output.Should().MatchRegex($@"(?m)^{Cluster.State.NodeName}\s+\d+m\s+\d+%\s+\d+Mi");
    }

    [Test]
    public async Task Should_answer_only_the_api_server_and_not_a_caller_without_its_front_proxy_certificate()
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        });
        http.DefaultRequestHeaders.Add("X-Remote-User", "system:admin");
        var direct = () => http.GetAsync($"https://{Cluster.State.BridgeAddress}:{Cluster.State.MetricsPort}/apis/{MetricsApi.Group}/{MetricsApi.Version}/pods");

        await direct.Should().ThrowAsync<HttpRequestException>("the TLS handshake asks for a client certificate of the front-proxy CA");
        var throughApiServer = await Client.CustomObjects.ListClusterCustomObjectAsync(MetricsApi.Group, MetricsApi.Version, "nodes");
        JsonSerializer.SerializeToElement(throughApiServer).GetProperty("kind").GetString().Should().Be("NodeMetricsList");
    }

    [Test]
    public async Task Should_let_a_horizontal_pod_autoscaler_scale_a_deployment_up_under_cpu_load_and_down_after_it()
    {
        var directory = CreateWorkingDirectory();
        var container = BurnerContainer(directory);
        container.Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("20m") } };
        await Client.AppsV1.CreateNamespacedDeploymentAsync(Workloads.Deployment("burner", 1, container), Space.Name);
        await Client.WaitForDeploymentAvailableAsync(Space.Name, "burner");
        await KubectlCheckedAsync("autoscale", "deployment", "burner", "--namespace", Space.Name, "--min=1", "--max=3", "--cpu-percent=50");

        File.WriteAllText(Path.Combine(directory, "load"), "");
        await WaitForReplicasAsync(3, "scaled up to its maximum under load");
        File.Delete(Path.Combine(directory, "load"));
        await WaitForReplicasAsync(1, "scaled down to its minimum after the load");

        var events = await Client.CoreV1.ListNamespacedEventAsync(Space.Name, fieldSelector: "involvedObject.kind=HorizontalPodAutoscaler");
        events.Items.Where(e => e.Reason == "SuccessfulRescale").Select(e => e.Message).Should()
            .Contain(m => m.Contains("above target", StringComparison.Ordinal)).And.Contain(m => m.Contains("below target", StringComparison.Ordinal));
    }

    private Task WaitForReplicasAsync(int replicas, string description) =>
        Eventually.UntilAsync(
            async token => (await Client.AppsV1.ReadNamespacedDeploymentAsync("burner", Space.Name, cancellationToken: token)).Spec.Replicas == replicas,
            TimeSpan.FromMinutes(3),
            $"deployment burner {description}");

    private static V1Container BurnerContainer(string directory)
    {
        var container = Workloads.HttpContainer();
        container.Name = "burner";
        container.Command = ["python3", "-c", Burner];
        container.WorkingDir = directory;
        return container;
    }

    private async Task<IReadOnlyList<PodUsage>> PodMetricsAsync(string? labelSelector, CancellationToken cancellationToken)
    {
        var list = await Client.CustomObjects.ListNamespacedCustomObjectAsync(
            MetricsApi.Group, MetricsApi.Version, Space.Name, "pods", labelSelector: labelSelector, cancellationToken: cancellationToken);
        return JsonSerializer.SerializeToElement(list).GetProperty("items").EnumerateArray()
            .Select(item =>
            {
                var usage = item.GetProperty("containers")[0].GetProperty("usage");
                return new PodUsage(
                    item.GetProperty("metadata").GetProperty("name").GetString()!,
                    (double)new ResourceQuantity(usage.GetProperty("cpu").GetString()).ToDecimal(),
                    (long)new ResourceQuantity(usage.GetProperty("memory").GetString()).ToDecimal());
            })
            .ToList();
    }

    private static Task<CommandResult> KubectlAsync(CancellationToken cancellationToken, params string[] arguments) =>
        HostCommand.RunAsync(KubernetesBinaries.FromCache().Kubectl, ["--kubeconfig", Cluster.KubeconfigPath, .. arguments], cancellationToken);

    private static Task<string> KubectlCheckedAsync(params string[] arguments) =>
        HostCommand.RunCheckedAsync(KubernetesBinaries.FromCache().Kubectl, ["--kubeconfig", Cluster.KubeconfigPath, .. arguments]);

    private sealed record PodUsage(string Name, double Cpu, long MemoryBytes);
}
