using System.Threading.Channels;
using BlueGreenOperator.Runtime;
using FluentAssertions;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Patience;

namespace BlueGreenOperator.Tests.Runtime;

[TestFixture]
public sealed class InformerTests
{

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

        watch.Send(WatchChange.Added, Obj("c", "11"));
        watch.Send(WatchChange.Modified, Obj("a", "12"));
        watch.Send(WatchChange.Deleted, Obj("b", "13"));

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
        Start(new InformerOptions<V1ConfigMap> { MinWatchLifetime = TimeSpan.Zero });
        await NextEvents(1);
        var watch = await api.NextWatchAsync();

        watch.Send(WatchChange.Bookmark, new V1ConfigMap { Metadata = new V1ObjectMeta { ResourceVersion = "20" } });
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
        Start(new InformerOptions<V1ConfigMap> { ErrorBackoff = TimeSpan.FromSeconds(1), ResyncPeriod = TimeSpan.Zero });

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
        Start(new InformerOptions<V1ConfigMap> { ResyncPeriod = TimeSpan.FromMinutes(5) });
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

    [Test]
    public async Task Should_skip_and_report_a_listed_object_that_does_not_decode_and_sync_with_the_others()
    {
        var reported = new List<UndecodableObject>();
        api.NextPage("10", null,
            ScriptedListWatch<V1ConfigMap>.Decoded(Obj("a", "1")),
            ScriptedListWatch<V1ConfigMap>.Undecodable("bad", "2", "$.spec.template.spec.containers", "not an array"),
            ScriptedListWatch<V1ConfigMap>.Decoded(Obj("b", "3")));
        Start(reported: reported);
        await informer.Synced.WaitAsync(Wait);

        (await NextEvents(2)).Should().Equal([(InformerEventType.Added, "a", "1"), (InformerEventType.Added, "b", "3")]);
        await Loopback.Until(() => reported.Count == 1);
        informer.List().Select(o => o.Metadata.Name).Should().BeEquivalentTo("a", "b");
        reported.Single().Should().BeEquivalentTo(new UndecodableObject(new ObjectKey("ml", "bad"), "uid-bad", "2", 1, "$.spec.template.spec.containers", "not an array"));
    }

    [Test]
    public async Task Should_drop_a_cached_object_whose_new_version_does_not_decode_as_deleted()
    {
        var reported = new List<UndecodableObject>();
        api.NextList("10", Obj("a", "1"), Obj("b", "2"));
        Start(reported: reported);
        await NextEvents(2);
        var watch = await api.NextWatchAsync();

        watch.Send(WatchChange.Modified, ScriptedListWatch<V1ConfigMap>.Undecodable("a", "11"));
        watch.Send(WatchChange.Modified, Obj("b", "12"));

        (await NextEvents(2)).Should().Equal([(InformerEventType.Deleted, "a", "1"), (InformerEventType.Modified, "b", "12")]);
        informer.TryGet(new ObjectKey("ml", "a"), out _).Should().BeFalse("its key must reconcile as absent, touching nothing");
        reported.Should().ContainSingle().Which.ResourceVersion.Should().Be("11");
        informer.ResourceVersion.Should().Be("12");
    }

    [Test]
    public async Task Should_read_every_page_of_a_list_and_start_over_when_the_continue_token_expired()
    {
        api.NextPage("10", "page-2", ScriptedListWatch<V1ConfigMap>.Decoded(Obj("a", "1")));
        api.NextListFails(new KubernetesException(new V1Status { Code = 410, Reason = "Expired" }));
        api.NextPage("20", "page-2", ScriptedListWatch<V1ConfigMap>.Decoded(Obj("a", "15")));
        api.NextPage("20", null, ScriptedListWatch<V1ConfigMap>.Decoded(Obj("b", "16")));
        Start();

        (await NextEvents(2)).Should().Equal([(InformerEventType.Added, "a", "15"), (InformerEventType.Added, "b", "16")]);
        (await api.NextWatchAsync()).ResourceVersion.Should().Be("20");
        api.ContinueTokens.Should().Equal(null, "page-2", null, "page-2");
    }

    [Test]
    public async Task Should_shape_each_page_of_a_list_once_before_the_next_page_is_read()
    {
        var shaped = new List<(string Name, int PagesRequested)>();
        api.NextPage("10", "page-2", ScriptedListWatch<V1ConfigMap>.Decoded(Obj("a", "1")));
        api.NextPage("10", null, ScriptedListWatch<V1ConfigMap>.Decoded(Obj("b", "2")));
        Start(new InformerOptions<V1ConfigMap> { Transform = Shape });

        (await NextEvents(2)).Should().Equal([(InformerEventType.Added, "a", "1"), (InformerEventType.Added, "b", "2")]);
        lock (shaped)
        {
            // Each object shaped exactly once, the first page's before the second page was asked for.
            shaped.Should().Equal(("a", 1), ("b", 2));
        }

        V1ConfigMap Shape(V1ConfigMap item)
        {
            lock (shaped)
            {
                shaped.Add((item.Metadata.Name, api.ContinueTokens.Count));
            }

            return item;
        }
    }

    [Test]
    public async Task Should_never_replace_a_cached_object_with_an_older_version_but_always_apply_a_deletion()
    {
        api.NextList("10", Obj("a", "100"), Obj("b", "100"));
        Start();
        await NextEvents(2);
        var watch = await api.NextWatchAsync();

        watch.Send(WatchChange.Modified, Obj("a", "99"));
        watch.Send(WatchChange.Modified, Obj("a", "100"));
        watch.Send(WatchChange.Deleted, Obj("b", "50"));
        watch.Send(WatchChange.Modified, Obj("a", "101"));

        (await NextEvents(2)).Should().Equal([(InformerEventType.Deleted, "b", "50"), (InformerEventType.Modified, "a", "101")]);
        informer.TryGet(new ObjectKey("ml", "a"), out var a).Should().BeTrue();
        a.Metadata.ResourceVersion.Should().Be("101");
    }

    [Test]
    public async Task Should_keep_an_upserted_write_over_an_older_relist_and_tell_subscribers_once()
    {
        api.NextList("10", Obj("a", "5"));
        Start();
        await NextEvents(1);
        var watch = await api.NextWatchAsync();

        informer.Upsert(Obj("a", "30")).Should().BeTrue();
        informer.Upsert(Obj("a", "30")).Should().BeFalse("the same version changes nothing");
        informer.Upsert(Obj("a", "29")).Should().BeFalse("an older version never replaces a newer one");
        informer.Upsert(Obj("c", "31")).Should().BeTrue();
        (await NextEvents(2)).Should().Equal([(InformerEventType.Modified, "a", "30"), (InformerEventType.Added, "c", "31")]);

        api.NextList("20", Obj("a", "20"));
        watch.Fail(new WatchFailedException("gone", new KubernetesException(new V1Status { Code = 410 })));
        (await NextEvents(1)).Should().Equal([(InformerEventType.Deleted, "c", "31")], "a relist still removes what it does not list");
        informer.TryGet(new ObjectKey("ml", "a"), out var a).Should().BeTrue();
        a.Metadata.ResourceVersion.Should().Be("30", "the relist's older version of a is ignored");
    }

    [Test]
    public async Task Should_forget_an_object_the_operator_deleted_and_tell_subscribers()
    {
        api.NextList("10", Obj("a", "5"));
        Start();
        await NextEvents(1);

        informer.Forget(new ObjectKey("ml", "a")).Should().BeTrue();
        informer.Forget(new ObjectKey("ml", "a")).Should().BeFalse("it is gone already");

        (await NextEvents(1)).Should().Equal([(InformerEventType.Deleted, "a", "5")]);
        informer.List().Should().BeEmpty();
    }

    [TestCase("30", "29", false)]
    [TestCase("29", "30", true)]
    [TestCase("9", "10", true, TestName = "Should_compare_resource_versions_as_numbers_not_text")]
    [TestCase("x", "30", true, TestName = "Should_let_the_newer_arrival_win_when_a_version_does_not_parse")]
    [TestCase("30", "", true)]
    [TestCase("18446744073709551615", "1", true, TestName = "Should_let_the_newer_arrival_win_beyond_64_bits")]
    public void Should_decide_whether_an_arrival_replaces_the_cached_version(string cached, string incoming, bool replaces) =>
        Informer<V1ConfigMap>.IsOlder(incoming, cached).Should().Be(!replaces);

    [Test]
    public async Task Should_strip_managed_fields_by_default_and_apply_a_given_transform_to_everything_cached()
    {
        var managed = Obj("a", "1");
        managed.Metadata.ManagedFields = [new V1ManagedFieldsEntry { Manager = "kubectl" }];
        api.NextList("10", managed);
        Start();
        await NextEvents(1);
        informer.TryGet(new ObjectKey("ml", "a"), out var stripped).Should().BeTrue();
        stripped.Metadata.ManagedFields.Should().BeNull();
        await stop.CancelAsync();
        await running.WaitAsync(Wait);

        stop.Dispose();
        stop = new CancellationTokenSource();
        api = new ScriptedListWatch<V1ConfigMap>();
        api.NextList("10", Obj("a", "1"));
        Start(new InformerOptions<V1ConfigMap> { Transform = Label });
        (await events.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Object.Metadata.Labels.Should().ContainKey("seen");
        var watch = await api.NextWatchAsync();
        watch.Send(WatchChange.Added, Obj("b", "11"));
        informer.Upsert(Obj("c", "12"));
        await Loopback.Until(() => informer.List().Count == 3);

        informer.List().Should().OnlyContain(o => o.Metadata.Labels != null && o.Metadata.Labels.ContainsKey("seen"));

        static V1ConfigMap Label(V1ConfigMap item)
        {
            item.Metadata.Labels = new Dictionary<string, string> { ["seen"] = "yes" };
            return item;
        }
    }

    [Test]
    public async Task Should_report_the_last_error_and_since_when_listing_fails_until_a_list_succeeds()
    {
        api.NextListFails(new HttpRequestException("connection refused"));
        api.NextList("10", Obj("a", "1"));
        Start(new InformerOptions<V1ConfigMap> { ErrorBackoff = TimeSpan.FromSeconds(1), ResyncPeriod = TimeSpan.Zero });

        await Loopback.Until(() => time.ArmedTimers == 1);
        informer.Health.Should().Match<InformerHealth>(h => !h.Synced && h.FailingSince == time.GetUtcNow() && h.LastError == "connection refused");
        time.Advance(TimeSpan.FromSeconds(1));
        await informer.Synced.WaitAsync(Wait);

        informer.Health.Should().Match<InformerHealth>(h => h.Synced && h.FailingSince == null && h.LastError == null);
    }

    private static V1ConfigMap Obj(string name, string resourceVersion) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ml", ResourceVersion = resourceVersion },
    };

    private void Start(InformerOptions<V1ConfigMap>? options = null, List<UndecodableObject>? reported = null)
    {
        informer = new Informer<V1ConfigMap>("configmaps", api.Source, NullLogger.Instance, options, time);
        informer.Subscribe(change => events.Writer.TryWrite(change));
        if (reported is not null)
        {
            informer.SubscribeUndecodable(item =>
            {
                lock (reported)
                {
                    reported.Add(item);
                }
            });
        }

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
