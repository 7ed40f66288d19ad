using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Serialization;
using BlueGreenOperator.Runtime;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Runtime;

/// <summary>The list/watch factories through the real KubernetesClient against a loopback server speaking the watch protocol.</summary>
[TestFixture]
public sealed class KubernetesListWatchTests
{
    private const string ResourcesPath = "/apis/bluegreen.dev/v1alpha1/namespaces/ml/bluegreendeployments";
    private const string DeploymentsPath = "/apis/apps/v1/namespaces/ml/deployments";

    private HttpListener server = null!;
    private Task serving = null!;
    private Uri address = null!;
    private Kubernetes client = null!;

    private ConcurrentQueue<Uri> Requests { get; } = new();

    [SetUp]
    public void SetUp()
    {
        Requests.Clear();
        address = Loopback.FreeAddress();
        server = new HttpListener();
        server.Prefixes.Add(address.ToString());
        server.Start();
        serving = Task.Run(ServeAsync);
        client = new Kubernetes(new KubernetesClientConfiguration { Host = address.ToString() });
    }

    [TearDown]
    public async Task TearDown()
    {
        client.Dispose();
        server.Stop();
        server.Close();
        await serving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    [Test]
    public async Task Should_list_and_watch_custom_resources_typed_and_surface_410_gone_as_an_error()
    {
        var source = KubernetesListWatch.CustomResources<TestResource>(client, "bluegreen.dev", "v1alpha1", "bluegreendeployments", "ml");

        var listed = await source.List(CancellationToken.None);
        listed.ResourceVersion.Should().Be("100");
        listed.Items.Should().ContainSingle().Which.Spec!.Replicas.Should().Be(3);

        var seen = new List<(WatchEventType, string?, int?)>();
        var act = async () =>
        {
            await foreach (var (type, item) in source.Watch("100", CancellationToken.None))
            {
                seen.Add((type, item.Metadata.ResourceVersion, item.Spec?.Replicas));
            }
        };

        (await act.Should().ThrowAsync<WatchFailedException>()).Which.IsGone.Should().BeTrue();
        seen.Should().Equal([(WatchEventType.Modified, "101", 5), (WatchEventType.Bookmark, "102", null)]);
        var watch = Requests.Single(r => r.Query.Contains("watch=true", StringComparison.Ordinal));
        watch.AbsolutePath.Should().Be(ResourcesPath);
        watch.Query.Should().Contain("resourceVersion=100").And.Contain("allowWatchBookmarks=true").And.Contain("timeoutSeconds=");
    }

    [Test]
    public async Task Should_list_and_watch_deployments_with_the_label_selector()
    {
        var source = KubernetesListWatch.Deployments(client, "ml", "app.kubernetes.io/managed-by=bluegreen-operator");

        var listed = await source.List(CancellationToken.None);
        var events = new List<(WatchEventType, string)>();
        await foreach (var (type, item) in source.Watch(listed.ResourceVersion, CancellationToken.None))
        {
            events.Add((type, item.Metadata.Name));
        }

        listed.Items.Select(d => d.Metadata.Name).Should().Equal("fraud-blue");
        events.Should().Equal([(WatchEventType.Deleted, "fraud-blue")], "a watch the server closes cleanly just ends");
        Requests.Should().HaveCount(2).And.OnlyContain(r =>
            r.AbsolutePath == DeploymentsPath
            && Uri.UnescapeDataString(r.Query).Contains("labelSelector=app.kubernetes.io/managed-by=bluegreen-operator", StringComparison.Ordinal));
    }

    private async Task ServeAsync()
    {
        while (server.IsListening)
        {
            var context = await server.GetContextAsync();
            var url = context.Request.Url!;
            Requests.Enqueue(url);
            var watching = context.Request.QueryString["watch"] == "true";
            var lines = (url.AbsolutePath, watching) switch
            {
                (ResourcesPath, false) => [
                    """{"apiVersion":"bluegreen.dev/v1alpha1","kind":"BlueGreenDeploymentList","metadata":{"resourceVersion":"100"},"items":[{"apiVersion":"bluegreen.dev/v1alpha1","kind":"BlueGreenDeployment","metadata":{"name":"fraud","namespace":"ml","resourceVersion":"99"},"spec":{"replicas":3}}]}"""],
                (ResourcesPath, true) => [
                    """{"type":"MODIFIED","object":{"apiVersion":"bluegreen.dev/v1alpha1","kind":"BlueGreenDeployment","metadata":{"name":"fraud","namespace":"ml","resourceVersion":"101"},"spec":{"replicas":5}}}""",
                    """{"type":"BOOKMARK","object":{"apiVersion":"bluegreen.dev/v1alpha1","kind":"BlueGreenDeployment","metadata":{"resourceVersion":"102"}}}""",
                    """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 100 (102)","reason":"Expired","code":410}}"""],
                (DeploymentsPath, false) => [
                    """{"apiVersion":"apps/v1","kind":"DeploymentList","metadata":{"resourceVersion":"7"},"items":[{"metadata":{"name":"fraud-blue","namespace":"ml","resourceVersion":"6"}}]}"""],
                (DeploymentsPath, true) => [
                    """{"type":"DELETED","object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"fraud-blue","namespace":"ml","resourceVersion":"8"}}}"""],
                _ => new string[] { },
            };

            context.Response.StatusCode = lines.Length == 0 ? 404 : 200;
            context.Response.ContentType = "application/json";
            if (watching)
            {
                context.Response.SendChunked = true;
            }
            else
            {
                context.Response.ContentLength64 = lines.Sum(l => Encoding.UTF8.GetByteCount(l + "\n"));
            }

            foreach (var line in lines)
            {
                await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
                await context.Response.OutputStream.FlushAsync();
            }

            context.Response.Close();
        }
    }

    internal sealed class TestResource : IKubernetesObject<V1ObjectMeta>
    {
        [JsonPropertyName("apiVersion")]
        public string ApiVersion { get; set; } = string.Empty;

        [JsonPropertyName("kind")]
        public string Kind { get; set; } = string.Empty;

        [JsonPropertyName("metadata")]
        public V1ObjectMeta Metadata { get; set; } = new();

        [JsonPropertyName("spec")]
        public TestSpec? Spec { get; set; }
    }

    internal sealed class TestSpec
    {
        [JsonPropertyName("replicas")]
        public int Replicas { get; set; }
    }
}
