using System.Threading.Channels;
using BlueGreenOperator.Runtime;
using FluentAssertions;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Runtime;

[TestFixture]
public sealed class InformerTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private ManualTimeProvider time = null!;
    private ScriptedListWatch<V1ConfigMap> api = null!;
    private Channel<InformerEvent<V1ConfigMap>> events = null!;
    private CancellationTokenSource stop = null!;
    private Informer<V1ConfigMap> informer = null!;
    private Task running = null!;

    [SetUp]
    public void SetUp()
    {
        time = new ManualTimeProvider();
        api = new ScriptedListWatch<V1ConfigMap>();
        events = Channel.CreateUnbounded<InformerEvent<V1ConfigMap>>();
        stop = new CancellationTokenSource();
    }

    [TearDown]
    public async Task TearDown()
    {
        await stop.CancelAsync();
        if (running is not null)
        {
            await running.WaitAsync(Wait);
        }

        stop.Dispose();
    }

    [Test]
    public async Task Should_report_every_listed_object_as_added_then_watch_from_the_list_version()
    {
        api.NextList("10", Obj("a", "1"), Obj("b", "2"));
        Start();

        (await NextEvents(2)).Should().Equal(
            [(InformerEventType.Added, "a", "1"), (InformerEventType.Added, "b", "2")]);
        await informer.Synced.WaitAsync(Wait);
        (await api.NextWatchAsync()).ResourceVersion.Should().Be("10");
        informer.List().Select(o => o.Metadata.Name).Should().BeEquivalentTo("a", "b");
        informer.TryGet(new ObjectKey("ml", "a"), out var a).Should().BeTrue();
        a.Metadata.ResourceVersion.Should().Be("1");
    }

    [Test]
    public async Task Should_apply_watch_events_to_the_cache_and_tell_subscribers_in_order()
    {
        api.NextList("10", Obj("a", "1"), Obj("b", "2"));
        Start();
        await NextEvents(2);
        var watch = await api.NextWatchAsync();

        watch.Send(WatchEventType.Added, Obj("c", "11"));
        watch.Send(WatchEventType.Modified, Obj("a", "12"));
        watch.Send(WatchEventType.Deleted, Obj("b", "13"));

        (await NextEvents(3)).Should().Equal(
            [(InformerEventType.Added, "c", "11"), (InformerEventType.Modified, "a", "12"), (InformerEventType.Deleted, "b", "13")]);
        informer.List().Select(o => (o.Metadata.Name, o.Metadata.ResourceVersion)).Should().BeEquivalentTo([("a", "12"), ("c", "11")]);
        informer.TryGet(new ObjectKey("ml", "b"), out _).Should().BeFalse();
        informer.ResourceVersion.Should().Be("13");
    }

    [Test]
    public async Task Should_only_move_the_resource_version_on_a_bookmark_and_rewatch_from_it_after_a_clean_close()
    {
        api.NextList("10", Obj("a", "1"));
        Start(new InformerOptions { MinWatchLifetime = TimeSpan.Zero });
        await NextEvents(1);
        var watch = await api.NextWatchAsync();

        watch.Send(WatchEventType.Bookmark, new V1ConfigMap { Metadata = new V1ObjectMeta { ResourceVersion = "20" } });
        watch.Close();

        (await api.NextWatchAsync()).ResourceVersion.Should().Be("20");
        events.Reader.TryRead(out var unexpected).Should().BeFalse($"a bookmark is no change, yet {unexpected} was reported");
        api.ListCalls.Should().Be(1, "a clean close is followed by a watch, not a list");
        informer.List().Should().ContainSingle();
    }

    [Test]
    public async Task Should_relist_on_410_gone_and_report_the_differences_including_deletions()
    {
        api.NextList("10", Obj("a", "1"), Obj("b", "2"), Obj("c", "3"));
        Start();
        await NextEvents(3);
        var watch = await api.NextWatchAsync();

        api.NextList("50", Obj("a", "1"), Obj("c", "40"), Obj("d", "45"));
        watch.Fail(new WatchFailedException("gone", new KubernetesException(new V1Status { Code = 410, Reason = "Expired" })));

        var relisted = await NextEvents(3);
        relisted.Should().BeEquivalentTo(
            [(InformerEventType.Modified, "c", "40"), (InformerEventType.Added, "d", "45"), (InformerEventType.Deleted, "b", "2")],
            "a is unchanged, c changed, d is new and b vanished while the watch was down");
        (await api.NextWatchAsync()).ResourceVersion.Should().Be("50");
        informer.List().Select(o => o.Metadata.Name).Should().BeEquivalentTo("a", "c", "d");
        api.ListCalls.Should().Be(2);
    }

    [Test]
    public async Task Should_relist_after_a_backoff_when_the_list_fails()
    {
        api.NextListFails(new HttpRequestException("connection refused"));
        api.NextList("10", Obj("a", "1"));
        Start(new InformerOptions { ErrorBackoff = TimeSpan.FromSeconds(1), ResyncPeriod = TimeSpan.Zero });

        await Loopback.Until(() => time.ArmedTimers == 1);
        informer.Synced.IsCompleted.Should().BeFalse();
        api.ListCalls.Should().Be(1);

        time.Advance(TimeSpan.FromSeconds(1));

        (await NextEvents(1)).Should().Equal([(InformerEventType.Added, "a", "1")]);
        await informer.Synced.WaitAsync(Wait);
        api.ListCalls.Should().Be(2);
    }

    [Test]
    public async Task Should_report_every_cached_object_as_modified_on_each_resync()
    {
        api.NextList("10", Obj("a", "1"), Obj("b", "2"));
        Start(new InformerOptions { ResyncPeriod = TimeSpan.FromMinutes(5) });
        await NextEvents(2);
        await api.NextWatchAsync();
        await Loopback.Until(() => time.ArmedTimers == 1);

        time.Advance(TimeSpan.FromMinutes(4));
        events.Reader.TryRead(out _).Should().BeFalse("the period has not passed yet");
        time.Advance(TimeSpan.FromMinutes(1));

        (await NextEvents(2)).Should().BeEquivalentTo([(InformerEventType.Modified, "a", "1"), (InformerEventType.Modified, "b", "2")]);

        await Loopback.Until(() => time.ArmedTimers == 1);
        time.Advance(TimeSpan.FromMinutes(5));
        (await NextEvents(2)).Should().OnlyContain(e => e.Type == InformerEventType.Modified);
    }

    private static V1ConfigMap Obj(string name, string resourceVersion) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ml", ResourceVersion = resourceVersion },
    };

    private void Start(InformerOptions? options = null)
    {
        informer = new Informer<V1ConfigMap>("configmaps", api.Source, NullLogger.Instance, options, time);
        informer.Subscribe(change => events.Writer.TryWrite(change));
        running = informer.RunAsync(stop.Token);
    }

    private async Task<List<(InformerEventType Type, string Name, string Version)>> NextEvents(int count)
    {
        var seen = new List<(InformerEventType, string, string)>();
        for (var i = 0; i < count; i++)
        {
            var change = await events.Reader.ReadAsync().AsTask().WaitAsync(Wait);
            seen.Add((change.Type, change.Object.Metadata.Name, change.Object.Metadata.ResourceVersion));
        }

        return seen;
    }
}
