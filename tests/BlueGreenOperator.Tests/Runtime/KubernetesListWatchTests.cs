using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Serialization;
using BlueGreenOperator.Api;
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
    private const string ServicesPath = "/api/v1/namespaces/ml/services";
    private const string MalformedPath = "/apis/bluegreen.dev/v1alpha1/namespaces/malformed/bluegreendeployments";

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

        var listed = await source.List(null, CancellationToken.None);
        listed.ResourceVersion.Should().Be("100");
        listed.Continue.Should().BeNull();
        listed.Items.Should().ContainSingle().Which.Object!.Spec!.Replicas.Should().Be(3);

        var seen = new List<(WatchChange, string?, int?)>();
        var act = async () =>
        {
            await foreach (var (type, item) in source.Watch("100", CancellationToken.None))
            {
                seen.Add((type, item.Identity.ResourceVersion, item.Object?.Spec?.Replicas));
            }
        };

        (await act.Should().ThrowAsync<WatchFailedException>()).Which.IsGone.Should().BeTrue();
        seen.Should().Equal([(WatchChange.Modified, "101", 5), (WatchChange.Bookmark, "102", null)]);
        var watch = Requests.Single(r => r.Query.Contains("watch=true", StringComparison.Ordinal));
        watch.AbsolutePath.Should().Be(ResourcesPath);
        watch.Query.Should().Contain("resourceVersion=100").And.Contain("allowWatchBookmarks=true").And.Contain("timeoutSeconds=");
    }

    [Test]
    public async Task Should_list_and_watch_deployments_with_the_label_selector()
    {
        var source = KubernetesListWatch.Deployments(client, "ml", "app.kubernetes.io/managed-by=bluegreen-operator");

        var listed = await source.List(null, CancellationToken.None);
        var events = new List<(WatchChange, string)>();
        await foreach (var (type, item) in source.Watch(listed.ResourceVersion, CancellationToken.None))
        {
            events.Add((type, item.Object!.Metadata.Name));
        }

        listed.Items.Select(d => d.Object!.Metadata.Name).Should().Equal("fraud-blue");
        events.Should().Equal([(WatchChange.Deleted, "fraud-blue")], "a watch the server closes cleanly just ends");
        Requests.Should().HaveCount(2).And.OnlyContain(r =>
            r.AbsolutePath == DeploymentsPath
            && Uri.UnescapeDataString(r.Query).Contains("labelSelector=app.kubernetes.io/managed-by=bluegreen-operator", StringComparison.Ordinal));
    }

    [Test]
    public async Task Should_ask_for_pages_and_pass_the_continue_token_on()
    {
        var source = KubernetesListWatch.Create<V1Service>(client, ApiResource.Services, "ml", labelSelector: null, pageSize: 1);

        var first = await source.List(null, CancellationToken.None);
        var second = await source.List(first.Continue, CancellationToken.None);

        first.Items.Select(i => i.Object!.Metadata.Name).Should().Equal("iris");
        first.Continue.Should().Be("next-page");
        second.Items.Select(i => i.Object!.Metadata.Name).Should().Equal("iris-preview");
        second.Continue.Should().BeNull();
        Requests.Select(r => Uri.UnescapeDataString(r.Query)).Should().Equal("?limit=1", "?limit=1&continue=next-page");
    }

    [Test]
    public async Task Should_raise_410_of_an_expired_continue_token_as_expired()
    {
        var source = KubernetesListWatch.Create<V1Service>(client, ApiResource.Services, "ml", labelSelector: null, pageSize: 1);

        var act = () => source.List("expired", CancellationToken.None);

        (await act.Should().ThrowAsync<KubernetesException>()).Which.Status.Code.Should().Be(410);
        WatchFailedException.IsResourceExpired(new KubernetesException(new V1Status { Code = 410 })).Should().BeTrue();
    }

    [Test]
    public async Task Should_decode_a_list_item_by_item_and_report_each_malformed_object_with_its_path()
    {
        var source = KubernetesListWatch.CustomResources<BlueGreenDeployment>(client, "bluegreen.dev", "v1alpha1", "bluegreendeployments", "malformed");

        var listed = await source.List(null, CancellationToken.None);

        listed.ResourceVersion.Should().Be("900");
        var decoded = listed.Items.Where(i => i.Object is not null).Select(i => i.Identity.Key.Name);
        decoded.Should().BeEquivalentTo(MalformedList.Decodable);
        var failures = listed.Items.Where(i => i.Failure is not null).ToDictionary(i => i.Identity.Key.Name, i => i.Failure!);
        failures.Keys.Should().BeEquivalentTo(MalformedList.Undecodable.Keys);
        foreach (var (name, path) in MalformedList.Undecodable)
        {
            failures[name].Path.Should().StartWith(path, "{0} fails there: {1}", name, failures[name].Message);
            failures[name].Message.Should().NotBeNullOrWhiteSpace();
            failures[name].Message.Length.Should().BeLessThan(1100);
        }

        listed.Items.Single(i => i.Identity.Key.Name == "containers-string").Should().Match<Decoded<BlueGreenDeployment>>(i =>
            i.Identity.Uid == "uid-containers-string" && i.Identity.ResourceVersion == "7" && i.Identity.Generation == 3 && i.Identity.Key.Namespace == "malformed");
        listed.Items.Single(i => i.Identity.Key.Name == "containers-string").Status!.Value.GetProperty("phase").GetString().Should().Be("Healthy");
    }

    [Test]
    public async Task Should_decode_watch_events_one_by_one_so_that_a_malformed_one_does_not_end_the_watch()
    {
        var source = KubernetesListWatch.CustomResources<BlueGreenDeployment>(client, "bluegreen.dev", "v1alpha1", "bluegreendeployments", "malformed");

        var events = new List<(WatchChange, string, bool)>();
        await foreach (var (type, item) in source.Watch("900", CancellationToken.None))
        {
            events.Add((type, item.Identity.Key.Name, item.Object is not null));
        }

        events.Should().Equal(
            (WatchChange.Added, "good", true),
            (WatchChange.Modified, "good", false),
            (WatchChange.Deleted, "good", false),
            (WatchChange.Added, "after", true));
    }

    private async Task ServeAsync()
    {
        while (server.IsListening)
        {
            var context = await server.GetContextAsync();
            var url = context.Request.Url!;
            Requests.Enqueue(url);
            var watching = context.Request.QueryString["watch"] == "true";
            var continueToken = context.Request.QueryString["continue"];
            var (status, lines) = (url.AbsolutePath, watching, continueToken) switch
            {
                (ResourcesPath, false, _) => (200, new[] {
                    """{"apiVersion":"bluegreen.dev/v1alpha1","kind":"BlueGreenDeploymentList","metadata":{"resourceVersion":"100"},"items":[{"apiVersion":"bluegreen.dev/v1alpha1","kind":"BlueGreenDeployment","metadata":{"name":"fraud","namespace":"ml","resourceVersion":"99"},"spec":{"replicas":3}}]}""" }),
                (ResourcesPath, true, _) => (200, [
                    """{"type":"MODIFIED","object":{"apiVersion":"bluegreen.dev/v1alpha1","kind":"BlueGreenDeployment","metadata":{"name":"fraud","namespace":"ml","resourceVersion":"101"},"spec":{"replicas":5}}}""",
                    """{"type":"BOOKMARK","object":{"apiVersion":"bluegreen.dev/v1alpha1","kind":"BlueGreenDeployment","metadata":{"resourceVersion":"102"}}}""",
                    """{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 100 (102)","reason":"Expired","code":410}}"""]),
                (MalformedPath, false, _) => (200, [MalformedList.Json()]),
                (MalformedPath, true, _) => (200, [
                    """{"type":"ADDED","object":""" + MalformedList.Good("good", "901") + "}",
                    """{"type":"MODIFIED","object":""" + MalformedList.Item("good", "902", """{"containers":"x"}""") + "}",
                    """{"type":"DELETED","object":""" + MalformedList.Item("good", "903", """{"containers":[{"name":"s","image":"i","ports":[{"containerPort":"http"}]}]}""") + "}",
                    """{"type":"ADDED","object":""" + MalformedList.Good("after", "904") + "}"]),
                (DeploymentsPath, false, _) => (200, [
                    """{"apiVersion":"apps/v1","kind":"DeploymentList","metadata":{"resourceVersion":"7"},"items":[{"metadata":{"name":"fraud-blue","namespace":"ml","resourceVersion":"6"}}]}"""]),
                (DeploymentsPath, true, _) => (200, [
                    """{"type":"DELETED","object":{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"fraud-blue","namespace":"ml","resourceVersion":"8"}}}"""]),
                (ServicesPath, false, null) => (200, [
                    """{"kind":"ServiceList","metadata":{"resourceVersion":"30","continue":"next-page"},"items":[{"metadata":{"name":"iris","namespace":"ml","resourceVersion":"29"}}]}"""]),
                (ServicesPath, false, "next-page") => (200, [
                    """{"kind":"ServiceList","metadata":{"resourceVersion":"30"},"items":[{"metadata":{"name":"iris-preview","namespace":"ml","resourceVersion":"28"}}]}"""]),
                (ServicesPath, false, _) => (410, [
                    """{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The provided continue parameter is too old","reason":"Expired","code":410}"""]),
                _ => (404, Array.Empty<string>()),
            };

            context.Response.StatusCode = status;
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
