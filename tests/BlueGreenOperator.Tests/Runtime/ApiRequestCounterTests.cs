using System.Net;
using BlueGreenOperator.Runtime;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Runtime;

[TestFixture]
public sealed class ApiRequestCounterTests
{
    private HttpListener server = null!;
    private Task serving = null!;
    private int served;
    private Uri address = null!;

    [SetUp]
    public void SetUp()
    {
        served = 0;
        address = Loopback.FreeAddress();
        server = new HttpListener();
        server.Prefixes.Add(address.ToString());
        server.Start();
        serving = Task.Run(ServeAsync);
    }

    [TearDown]
    public async Task TearDown()
    {
        server.Stop();
        server.Close();
        await serving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    [Test]
    public async Task Should_count_every_request_a_kubernetes_client_sends_by_verb_resource_and_write()
    {
        var counter = new ApiRequestCounter();
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = address.ToString() }, counter);

        await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => client.CoreV1.ListNamespacedPodAsync("ml")));
        await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, "ml");
        await client.CoreV1.PatchNamespacedServiceAsync(new V1Patch("{\"spec\":{}}", V1Patch.PatchType.MergePatch), "fraud", "ml");
        await client.AppsV1.ReplaceNamespacedDeploymentStatusAsync(new V1Deployment { Metadata = new V1ObjectMeta { Name = "d" } }, "d", "ml");
        await client.CoreV1.DeleteNamespacedConfigMapAsync("c", "ml");

        var counts = counter.Snapshot();
        counts.Total.Should().Be(44).And.Be(Volatile.Read(ref served), "every request the server saw was counted once");
        counts.Writes.Should().Be(4);
        counts.ByVerb.Should().BeEquivalentTo(new Dictionary<string, long> { ["GET"] = 40, ["POST"] = 1, ["PATCH"] = 1, ["PUT"] = 1, ["DELETE"] = 1 });
        counts.Resource("GET pods").Should().Be(40);
        counts.Resource("PATCH services").Should().Be(1);
        counts.Resource("PUT deployments/status").Should().Be(1);
        counts.Resource("DELETE configmaps").Should().Be(1);
    }

    [Test]
    public async Task Should_count_a_get_that_opens_a_watch_as_a_watch()
    {
        var counter = new ApiRequestCounter();
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = address.ToString() }, counter);

        await client.CoreV1.ListNamespacedPodAsync("ml");
        (await client.HttpClient.GetAsync(new Uri(address, "api/v1/namespaces/ml/pods?labelSelector=a%3Db&watch=true&allowWatchBookmarks=true"))).Dispose();
        (await client.HttpClient.GetAsync(new Uri(address, "api/v1/namespaces/ml/pods?watch=false"))).Dispose();

        var counts = counter.Snapshot();
        counts.ByVerb.Should().BeEquivalentTo(new Dictionary<string, long> { ["GET"] = 2, ["WATCH"] = 1 });
        counts.Resource("WATCH pods").Should().Be(1);
        counts.Writes.Should().Be(0);
    }

    [Test]
    [NonParallelizable]
    public async Task Should_export_the_requests_by_verb_and_resource()
    {
        var counter = new ApiRequestCounter();
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = address.ToString() }, counter);
        await client.CoreV1.ListNamespacedPodAsync("ml");
        await client.CoreV1.PatchNamespacedServiceAsync(new V1Patch("{\"spec\":{}}", V1Patch.PatchType.MergePatch), "fraud", "ml");
        await client.CoreV1.PatchNamespacedServiceAsync(new V1Patch("{\"spec\":{}}", V1Patch.PatchType.MergePatch), "fraud", "ml");
        await client.AppsV1.ReplaceNamespacedDeploymentStatusAsync(new V1Deployment { Metadata = new V1ObjectMeta { Name = "d" } }, "d", "ml");
        BlueGreenOperator.Telemetry.ApiRequestMetrics.Track(counter);

        var exported = new Dictionary<string, long>();
        using var meters = new System.Diagnostics.Metrics.MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == "bluegreen.api.requests")
                listener.EnableMeasurementEvents(instrument);
        };
        meters.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var labels = tags.ToArray().ToDictionary(t => t.Key, t => (string)t.Value!);
            exported[$"{labels["verb"]} {labels["resource"]}"] = value;
        });
        meters.Start();
        meters.RecordObservableInstruments();

        exported.Should().BeEquivalentTo(new Dictionary<string, long> { ["GET pods"] = 1, ["PATCH services"] = 2, ["PUT deployments/status"] = 1 });
    }

    [TestCase("GET pods", "GET", "pods")]
    [TestCase("PUT bluegreendeployments/status", "PUT", "bluegreendeployments/status")]
    public void Should_split_a_counted_key_into_verb_and_resource(string key, string verb, string resource) =>
        ApiRequestCounter.Split(key).Should().Be((verb, resource));

    [Test]
    public void Should_keep_a_snapshot_unchanged_by_later_requests()
    {
        var counter = new ApiRequestCounter();
        using var client = new Kubernetes(new KubernetesClientConfiguration { Host = address.ToString() }, counter);
        client.CoreV1.ListNamespacedPod("ml");

        var before = counter.Snapshot();
        client.CoreV1.ListNamespacedPod("ml");

        before.Total.Should().Be(1);
        counter.Snapshot().Total.Should().Be(2);
    }

    [TestCase("/api/v1/namespaces/ml/pods", "pods")]
    [TestCase("/api/v1/namespaces/ml/services/fraud", "services")]
    [TestCase("/apis/apps/v1/namespaces/ml/deployments/fraud-blue/scale", "deployments/scale")]
    [TestCase("/apis/bluegreen.dev/v1alpha1/namespaces/ml/bluegreendeployments/fraud/status", "bluegreendeployments/status")]
    [TestCase("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/bluegreen-operator", "leases")]
    [TestCase("/apis/apps/v1/deployments", "deployments")]
    [TestCase("/api/v1/namespaces/ml", "namespaces")]
    [TestCase("/api/v1/namespaces", "namespaces")]
    public void Should_name_the_resource_of_an_api_path(string path, string resource) =>
        ApiRequestCounter.ResourceOf(new Uri("https://127.0.0.1:6443" + path)).Should().Be(resource);

    private async Task ServeAsync()
    {
        while (server.IsListening)
        {
            var context = await server.GetContextAsync();
            Interlocked.Increment(ref served);
            var body = "{\"metadata\":{}}"u8.ToArray();
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }
}
