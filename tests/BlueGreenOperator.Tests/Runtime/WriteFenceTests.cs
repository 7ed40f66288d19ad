using System.Collections.Concurrent;
using System.Net;
using BlueGreenOperator.Runtime;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Runtime;

/// <summary>The write fence in a real KubernetesClient pipeline, in front of the request counter, against a loopback server.</summary>
[TestFixture]
public sealed class WriteFenceTests
{
    private static readonly TimeSpan RenewDeadline = TimeSpan.FromSeconds(10);

    private HttpListener server = null!;
    private Task serving = null!;
    private Uri address = null!;
    private ManualTimeProvider time = null!;
    private Leadership leadership = null!;
    private WriteFence fence = null!;
    private ApiRequestCounter counter = null!;
    private Kubernetes client = null!;

    private ConcurrentQueue<string> Served { get; } = new();

    [SetUp]
    public void SetUp()
    {
        Served.Clear();
        address = Loopback.FreeAddress();
        server = new HttpListener();
        server.Prefixes.Add(address.ToString());
        server.Start();
        serving = Task.Run(ServeAsync);
        time = new ManualTimeProvider();
        leadership = new Leadership(RenewDeadline, time);
        fence = new WriteFence();
        fence.Guard(leadership, "ops", "bluegreen-operator");
        counter = new ApiRequestCounter();
        client = new Kubernetes(new KubernetesClientConfiguration { Host = address.ToString() }, fence, counter);
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
    public async Task Should_refuse_every_write_but_the_leases_while_this_instance_does_not_lead()
    {
        await client.CoreV1.ListNamespacedPodAsync("ml");
        var writes = new Func<Task>[]
        {
            () => client.CoreV1.PatchNamespacedServiceAsync(new V1Patch("{}", V1Patch.PatchType.MergePatch), "iris", "ml"),
            () => client.AppsV1.CreateNamespacedDeploymentAsync(new V1Deployment { Metadata = new V1ObjectMeta { Name = "iris-green" } }, "ml"),
            () => client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(new { }, "bluegreen.dev", "v1alpha1", "ml", "bluegreendeployments", "iris"),
            () => client.CoreV1.DeleteNamespacedServiceAsync("iris-preview", "ml"),
        };
        foreach (var write in writes)
        {
            await write.Should().ThrowAsync<WriteFencedException>().WithMessage("*does not hold the lease*");
        }

        await client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease { Metadata = new V1ObjectMeta { Name = "bluegreen-operator" } }, "ops");
        await client.CoordinationV1.ReplaceNamespacedLeaseAsync(new V1Lease { Metadata = new V1ObjectMeta { Name = "bluegreen-operator" } }, "bluegreen-operator", "ops");
        var otherLease = () => client.CoordinationV1.ReplaceNamespacedLeaseAsync(new V1Lease { Metadata = new V1ObjectMeta { Name = "someone-else" } }, "someone-else", "ops");
        await otherLease.Should().ThrowAsync<WriteFencedException>("only this election's own Lease passes");

        fence.Refused.Should().Be(5);
        counter.Snapshot().ByVerb.Should().BeEquivalentTo(new Dictionary<string, long> { ["GET"] = 1, ["POST"] = 1, ["PUT"] = 1 }, "refused writes are never sent");
        Served.Should().HaveCount(3);
    }

    [Test]
    public async Task Should_let_writes_through_only_within_the_renew_deadline_of_the_last_renewal()
    {
        leadership.Begin(time.GetTimestamp());
        await client.CoreV1.PatchNamespacedServiceAsync(new V1Patch("{}", V1Patch.PatchType.MergePatch), "iris", "ml");

        time.Advance(RenewDeadline - TimeSpan.FromMilliseconds(1));
        await client.CoreV1.PatchNamespacedServiceAsync(new V1Patch("{}", V1Patch.PatchType.MergePatch), "iris", "ml");
        leadership.Renewed(time.GetTimestamp());
        time.Advance(RenewDeadline - TimeSpan.FromMilliseconds(1));
        await client.CoreV1.PatchNamespacedServiceAsync(new V1Patch("{}", V1Patch.PatchType.MergePatch), "iris", "ml");

        time.Advance(TimeSpan.FromMilliseconds(1));
        var late = () => client.CoreV1.PatchNamespacedServiceAsync(new V1Patch("{}", V1Patch.PatchType.MergePatch), "iris", "ml");
        await late.Should().ThrowAsync<WriteFencedException>().WithMessage("*not within the renew deadline*");
        counter.Snapshot().Writes.Should().Be(3);
    }

    [Test]
    public async Task Should_refuse_writes_of_work_started_in_an_earlier_term()
    {
        var first = leadership.Begin(time.GetTimestamp());
        var earlier = Task.Run(async () =>
        {
            Leadership.EnterTerm(first);
            await Task.Yield();
            return (Func<Task>)(() => client.CoreV1.PatchNamespacedServiceAsync(new V1Patch("{}", V1Patch.PatchType.MergePatch), "iris", "ml"));
        });
        var leftover = await earlier;
        leadership.End();
        var second = leadership.Begin(time.GetTimestamp());

        var act = () => Task.Run(async () =>
        {
            Leadership.EnterTerm(first);
            await leftover();
        });
        await act.Should().ThrowAsync<WriteFencedException>().WithMessage($"*term {first}*term {second} is current*");

        await Task.Run(async () =>
        {
            Leadership.EnterTerm(second);
            await leftover();
        });
        counter.Snapshot().Writes.Should().Be(1);
    }

    [Test]
    public async Task Should_stay_open_without_a_guard()
    {
        var open = new WriteFence();
        using var unguarded = new Kubernetes(new KubernetesClientConfiguration { Host = address.ToString() }, open);

        await unguarded.CoreV1.PatchNamespacedServiceAsync(new V1Patch("{}", V1Patch.PatchType.MergePatch), "iris", "ml");

        open.Refused.Should().Be(0);
        Served.Should().ContainSingle();
    }

    private async Task ServeAsync()
    {
        while (server.IsListening)
        {
            var context = await server.GetContextAsync();
            Served.Enqueue($"{context.Request.HttpMethod} {context.Request.Url!.AbsolutePath}");
            var body = "{\"metadata\":{}}"u8.ToArray();
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }
}
