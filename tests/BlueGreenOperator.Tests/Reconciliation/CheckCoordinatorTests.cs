using System.Collections.Concurrent;
using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Reconciliation;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Runtime;
using BlueGreenOperator.Tests.Checks;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Checks.Probing;

namespace BlueGreenOperator.Tests.Reconciliation;

/// <summary>
/// The one check pool: shared fairly between namespaces, runs cut at their stage's deadline, runs against pods that
/// were replaced stopped. Real runners against real HTTP servers, one of which never answers; the assertions count
/// runs, they do not time them.
/// </summary>
[TestFixture]
public sealed class CheckCoordinatorTests
{
    LocalHttpServer stalling = null!;
    ModelServer model = null!;
    readonly ConcurrentQueue<ObjectKey> woken = new();

    [SetUp]
    public async Task StartPods()
    {
        // A pod that takes every request and never answers (until the operator gives up on it).
        stalling = await LocalHttpServer.StartAsync((_, context) => Task.Delay(Timeout.Infinite, context.RequestAborted));
        model = await ModelServer.StartAsync();
        woken.Clear();
    }

    [TearDown]
    public async Task StopPods()
    {
        await stalling.DisposeAsync();
        await model.DisposeAsync();
    }

    CheckCoordinator Pool(int slots, int? perNamespace = null) => new(Runner(), slots, woken.Enqueue, perNamespace);

    CheckSpec Stalls() => Golden(stalling.Port, edit: c => c.TimeoutSeconds = 300);

    static void Start(CheckCoordinator pool, string ns, string name, CheckSpec check, TimeSpan? budget = null) =>
        pool.Start(new ObjectKey(ns, name), $"{ns}-{name}", CheckKind.Smoke, Color.Green, Revision, Pods(1), [check], budget);

    static async Task Until(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience.Wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"gave up waiting for {what}");
            await Task.Delay(20);
        }
    }

    [Test]
    public async Task Should_run_another_namespaces_checks_while_one_namespace_stalls_more_objects_than_there_are_slots()
    {
        using var pool = Pool(slots: 8);
        for (var i = 0; i < 10; i++)
            Start(pool, "tenant-a", $"slow-{i}", Stalls());
        await Until(() => pool.ExecutingIn("tenant-a") == 2, "tenant-a to hold its share of the pool");

        Start(pool, "tenant-b", "fraud-model", Golden(model.Port));
        await Until(() => pool.LastReport("tenant-b-fraud-model", CheckKind.Smoke) is not null, "tenant-b's report");

        pool.LastReport("tenant-b-fraud-model", CheckKind.Smoke)!.Passed.Should().BeTrue();
        woken.Should().Contain(new ObjectKey("tenant-b", "fraud-model"));
        pool.ExecutingIn("tenant-a").Should().Be(2, "a namespace holds at most a quarter of the pool's 8 slots");
        pool.Running.Should().Be(10, "tenant-a's runs are all still in flight, 8 of them waiting for its share");
        stalling.Received.Should().HaveCount(2);
    }

    [Test]
    public async Task Should_take_turns_between_namespaces_when_slots_free_up()
    {
        var gate = new GatedRunner();
        using var pool = new CheckCoordinator(gate, maxConcurrentRuns: 1, woken.Enqueue);
        foreach (var (ns, name) in new[] { ("a", "1"), ("a", "2"), ("a", "3"), ("b", "1"), ("b", "2"), ("c", "1") })
            pool.Start(new ObjectKey(ns, name), $"{ns}/{name}", CheckKind.Smoke, Color.Green, Revision, [new CheckTarget(name, "127.0.0.1")], [Golden(80)]);

        for (var finished = 0; finished < 6; finished++)
        {
            await Until(() => gate.Started.Count == finished + 1, $"run {finished + 1} to start");
            gate.Release();
        }

        gate.Started.Should().Equal("a/1", "b/1", "c/1", "a/2", "b/2", "a/3");
    }

    [Test]
    public async Task Should_cut_a_run_at_its_budget_free_its_slot_and_wake_the_object_without_a_report()
    {
        using var pool = Pool(slots: 1);

        Start(pool, "ml", "fraud-model", Stalls(), budget: TimeSpan.FromMilliseconds(300));
        await Until(() => woken.Contains(new ObjectKey("ml", "fraud-model")), "the object to be woken at its budget");

        pool.LastReport("ml-fraud-model", CheckKind.Smoke).Should().BeNull("a run cut short proves nothing either way");
        pool.Running.Should().Be(0);
        pool.Executing.Should().Be(0);
        stalling.Received.Should().ContainSingle();
    }

    [Test]
    public async Task Should_withdraw_a_waiting_run_at_its_budget()
    {
        using var pool = Pool(slots: 1);
        Start(pool, "tenant-a", "slow", Stalls());
        await Until(() => pool.Executing == 1, "the slow run to take the only slot");

        Start(pool, "tenant-b", "late", Golden(model.Port), budget: TimeSpan.FromMilliseconds(300));
        await Until(() => woken.Contains(new ObjectKey("tenant-b", "late")), "the waiting run to be withdrawn");

        pool.Running.Should().Be(1, "only the slow run is left");
        pool.LastReport("tenant-b-late", CheckKind.Smoke).Should().BeNull();
        model.Received.Should().BeEmpty("the withdrawn run never took a slot");
    }

    [Test]
    public void Should_not_start_a_run_whose_stage_deadline_has_passed()
    {
        using var pool = Pool(slots: 1);

        Start(pool, "ml", "fraud-model", Golden(model.Port), budget: TimeSpan.Zero);

        pool.Running.Should().Be(0);
        model.Received.Should().BeEmpty();
    }

    [Test]
    public async Task Should_stop_a_run_against_a_colour_that_was_written_again()
    {
        using var pool = Pool(slots: 1);
        Start(pool, "ml", "fraud-model", Stalls());
        await Until(() => stalling.Received.Count == 1, "the run to reach the pod");

        pool.Invalidate("ml-fraud-model", Color.Green);
        await Until(() => pool.Executing == 0, "the slot to be free again");

        pool.Running.Should().Be(0);
        pool.LastReport("ml-fraud-model", CheckKind.Smoke).Should().BeNull();
    }

    [Test]
    public void Should_give_each_namespace_a_quarter_of_the_pool_by_default()
    {
        new CheckCoordinator(Runner(), 8, _ => { }).SlotsPerNamespace.Should().Be(2);
        new CheckCoordinator(Runner(), 3, _ => { }).SlotsPerNamespace.Should().Be(1);
        new CheckCoordinator(Runner(), 8, _ => { }, maxRunsPerNamespace: 20).SlotsPerNamespace.Should().Be(8);
    }

    /// <summary>Runs that end only when the test says so, in the order they started.</summary>
    sealed class GatedRunner : ICheckRunner
    {
        readonly SemaphoreSlim _release = new(0);

        public ConcurrentQueue<string> Started { get; } = new();

        public void Release() => _release.Release();

        public async Task<CheckReport> RunAsync(CheckRun run, CancellationToken ct)
        {
            Started.Enqueue($"{run.Namespace}/{run.Pods[0].Pod}");
            await _release.WaitAsync(ct);
            return new CheckReport(run.Color, run.Revision, [], [], null, DateTime.UtcNow);
        }
    }
}
