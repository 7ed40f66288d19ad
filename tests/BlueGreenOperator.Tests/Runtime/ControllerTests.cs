using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using BlueGreenOperator.Runtime;
using FluentAssertions;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Patience;

namespace BlueGreenOperator.Tests.Runtime;

[TestFixture]
public sealed class ControllerTests
{

    private ManualTimeProvider time = null!;
    private ScriptedListWatch<V1ConfigMap> primaries = null!;
    private ScriptedListWatch<V1Deployment> deployments = null!;
    private RecordingReconciler reconciler = null!;
    private CapturingLogger<Controller> logger = null!;
    private Controller controller = null!;
    private CancellationTokenSource stopInformers = null!;
    private CancellationTokenSource stopWorkers = null!;
    private Task informersRunning = null!;
    private Task workersRunning = null!;
    private string controllerName = null!;

    [SetUp]
    public void SetUp()
    {
        time = new ManualTimeProvider();
        primaries = new ScriptedListWatch<V1ConfigMap>();
        deployments = new ScriptedListWatch<V1Deployment>();
        reconciler = new RecordingReconciler();
        logger = new CapturingLogger<Controller>();
        stopInformers = new CancellationTokenSource();
        stopWorkers = new CancellationTokenSource();
        controllerName = $"test-{Guid.NewGuid():N}";
    }

    [TearDown]
    public async Task TearDown()
    {
        await stopWorkers.CancelAsync();
        await stopInformers.CancelAsync();
        reconciler.ReleaseAll();
        if (workersRunning is not null)
        {
            await workersRunning.WaitAsync(Wait);
        }

        if (informersRunning is not null)
        {
            await informersRunning.WaitAsync(Wait);
        }

        controller?.Dispose();
        stopInformers.Dispose();
        stopWorkers.Dispose();
    }

    [Test]
    public async Task Should_reconcile_the_owner_when_an_owned_deployment_changes_status_only()
    {
        primaries.NextList("1", Primary("fraud"));
        deployments.NextList("1");
        Start();
        (await reconciler.NextKey()).Should().Be(new ObjectKey("ml", "fraud"));
        var watch = await deployments.NextWatchAsync();

        var green = Owned("fraud-green", ownerName: "fraud");
        green.Metadata.Generation = 3;
        watch.Send(WatchChange.Added, green);
        (await reconciler.NextKey()).Should().Be(new ObjectKey("ml", "fraud"));

        // Same generation, new status: readiness progress must still wake the owner.
        var ready = Owned("fraud-green", ownerName: "fraud", resourceVersion: "8");
        ready.Metadata.Generation = 3;
        ready.Status = new V1DeploymentStatus { AvailableReplicas = 3 };
        watch.Send(WatchChange.Modified, ready);
        (await reconciler.NextKey()).Should().Be(new ObjectKey("ml", "fraud"));

        watch.Send(WatchChange.Deleted, ready);
        (await reconciler.NextKey()).Should().Be(new ObjectKey("ml", "fraud"));
    }

    [Test]
    public async Task Should_ignore_deployments_the_operator_does_not_manage()
    {
        primaries.NextList("1");
        deployments.NextList("1", Unmanaged("someone-else"), Owned("fraud-blue", ownerName: "fraud"));
        Start();

        (await reconciler.NextKey()).Should().Be(new ObjectKey("ml", "fraud"));
        await Task.Delay(100);
        reconciler.Keys.Should().ContainSingle("the unmanaged Deployment maps to no key");
    }

    [Test]
    public void Should_map_an_owned_object_to_its_owner_by_owner_reference_then_by_instance_label()
    {
        var resolver = new OwnerKeyResolver("BlueGreenDeployment", "bluegreen.dev");

        resolver.Resolve(Owned("x-blue", ownerName: "fraud").Metadata).Should().Be(new ObjectKey("ml", "fraud"));

        var labelled = Owned("x-blue", ownerName: "ignored");
        labelled.Metadata.OwnerReferences = [new V1OwnerReference { ApiVersion = "apps/v1", Kind = "ReplicaSet", Name = "rs", Uid = "u" }];
        labelled.Metadata.Labels[OwnerKeyResolver.InstanceLabel] = "by-label";
        resolver.Resolve(labelled.Metadata).Should().Be(new ObjectKey("ml", "by-label"));

        var otherGroup = Owned("x-blue", ownerName: "fraud");
        otherGroup.Metadata.OwnerReferences[0].ApiVersion = "example.com/v1";
        otherGroup.Metadata.Labels.Remove(OwnerKeyResolver.InstanceLabel);
        resolver.Resolve(otherGroup.Metadata).Should().BeNull("an owner of the same kind from another group is not ours");

        resolver.Resolve(Unmanaged("y").Metadata).Should().BeNull();
    }

    [Test]
    public async Task Should_retry_a_failing_key_with_growing_backoff_and_forget_it_after_success()
    {
        var key = new ObjectKey("ml", "fraud");
        reconciler.FailTimes(key, 2);
        primaries.NextList("1", Primary("fraud"));
        deployments.NextList("1");
        Start();

        foreach (var (attempt, backoff) in new[] { (1, 5), (2, 10) })
        {
            (await reconciler.NextKey()).Should().Be(key);
            await Loopback.Until(() => controller.Failures == attempt && controller.Queue.NumRequeues(key) == attempt);
            time.Advance(TimeSpan.FromMilliseconds(backoff - 1));
            await Task.Delay(50);
            reconciler.Keys.Should().HaveCount(attempt, $"retry {attempt} waits {backoff} ms");
            time.Advance(TimeSpan.FromMilliseconds(1));
        }

        (await reconciler.NextKey()).Should().Be(key);
        await Loopback.Until(() => controller.Reconciles == 3);
        controller.Queue.NumRequeues(key).Should().Be(0, "success forgets the failures");
        logger.Lines.Should().Contain(l => l.Message.Contains("Reconcile of ml/fraud failed", StringComparison.Ordinal));
    }

    [Test]
    public async Task Should_come_back_after_the_requested_delay()
    {
        var key = new ObjectKey("ml", "fraud");
        reconciler.Result = ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(30));
        primaries.NextList("1", Primary("fraud"));
        deployments.NextList("1");
        Start();
        await reconciler.NextKey();
        await Loopback.Until(() => controller.Reconciles == 1 && time.ArmedTimers >= 1);
        reconciler.Result = ReconcileResult.Done;

        time.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(50);
        reconciler.Keys.Should().HaveCount(1);
        time.Advance(TimeSpan.FromSeconds(1));

        (await reconciler.NextKey()).Should().Be(key);
    }

    [Test]
    public async Task Should_log_every_line_of_a_reconcile_with_the_key_in_scope()
    {
        reconciler.Log = logger;
        primaries.NextList("1", Primary("fraud"));
        deployments.NextList("1");
        Start();
        await reconciler.NextKey();
        await Loopback.Until(() => controller.Reconciles == 1);

        var line = logger.Lines.Single(l => l.Message == "reconciling");
        line.Scopes.OfType<IReadOnlyList<KeyValuePair<string, object?>>>()
            .Should().Contain(scope => scope.Any(p => p.Key == "ObjectKey" && (string?)p.Value == "ml/fraud"));
        line.Scopes.Select(scope => scope?.ToString()).Should().Contain("ml/fraud");
    }

    [Test]
    public async Task Should_let_an_in_flight_reconcile_finish_on_shutdown_and_take_no_new_keys()
    {
        reconciler.Block = true;
        primaries.NextList("1", Primary("fraud"), Primary("other"));
        deployments.NextList("1");
        Start(workers: 1);
        var first = await reconciler.NextKey();

        await stopWorkers.CancelAsync();
        await Task.Delay(100);
        workersRunning.IsCompleted.Should().BeFalse("the reconcile in flight is not abandoned");
        reconciler.LastToken.IsCancellationRequested.Should().BeFalse("it may finish within the shutdown timeout");

        reconciler.ReleaseAll();
        await workersRunning.WaitAsync(Wait);
        reconciler.Keys.Should().Equal([first], "no new key is taken after shutdown began");
        controller.Queue.Length.Should().Be(1, "the other key stays queued for the next leader term");
    }

    [Test]
    public async Task Should_cancel_reconciles_still_running_when_the_shutdown_timeout_expires()
    {
        reconciler.Block = true;
        primaries.NextList("1", Primary("fraud"));
        deployments.NextList("1");
        Start(workers: 1, shutdownTimeout: TimeSpan.FromSeconds(30));
        await reconciler.NextKey();

        await stopWorkers.CancelAsync();
        await Loopback.Until(() => time.ArmedTimers >= 1);
        time.Advance(TimeSpan.FromSeconds(30));

        await workersRunning.WaitAsync(Wait);
        reconciler.LastToken.IsCancellationRequested.Should().BeTrue();
    }

    [Test]
    public async Task Should_log_the_stack_trace_of_a_failing_key_once_then_one_line_per_retry()
    {
        var key = new ObjectKey("ml", "fraud");
        reconciler.FailTimes(key, 3);
        primaries.NextList("1", Primary("fraud"));
        deployments.NextList("1");
        Start(workers: 1);

        foreach (var attempt in new[] { 1, 2, 3 })
        {
            await reconciler.NextKey();
            await Loopback.Until(() => controller.Failures == attempt && time.ArmedTimers >= 1);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        var failures = logger.Errors.Where(e => e.Message.Contains("Reconcile of ml/fraud failed", StringComparison.Ordinal)).ToList();
        failures.Should().HaveCount(3);
        failures.Count(e => e.Exception is not null).Should().Be(1, "the stack trace is logged once per distinct error");
        failures.Skip(1).Should().OnlyContain(e => e.Message.Contains("API server said no", StringComparison.Ordinal), "each retry still says what failed");
    }

    [Test]
    public async Task Should_cancel_in_flight_reconciles_at_once_and_keep_the_key_when_leadership_is_lost()
    {
        reconciler.Block = true;
        primaries.NextList("1", Primary("fraud"));
        deployments.NextList("1");
        using var lost = new CancellationTokenSource();
        Start(workers: 1, shutdownTimeout: TimeSpan.FromSeconds(30), lost: lost.Token);
        await reconciler.NextKey();

        await lost.CancelAsync();

        await workersRunning.WaitAsync(Wait);
        reconciler.LastToken.IsCancellationRequested.Should().BeTrue("losing the lease does not wait for the shutdown timeout");
        controller.Queue.Length.Should().Be(1, "the next leader term picks the key up again");
        controller.Failures.Should().Be(0, "losing the lease is not the object's fault");
    }

    [Test]
    public async Task Should_requeue_without_backoff_a_reconcile_whose_write_the_fence_refused()
    {
        var key = new ObjectKey("ml", "fraud");
        reconciler.Throw = new WriteFencedException("PATCH services refused before it was sent: this instance does not hold the lease");
        primaries.NextList("1", Primary("fraud"));
        deployments.NextList("1");
        Start(workers: 1);
        await reconciler.NextKey();
        reconciler.Throw = null;

        (await reconciler.NextKey()).Should().Be(key);
        controller.Failures.Should().Be(0);
        controller.Queue.NumRequeues(key).Should().Be(0);
    }

    [Test]
    public async Task Should_turn_health_red_within_the_bound_when_a_reconcile_never_returns()
    {
        reconciler.Block = true;
        primaries.NextList("1", Primary("fraud"), Primary("other"));
        deployments.NextList("1");
        var health = new BlueGreenOperator.Hosting.OperatorHealth(
            new BlueGreenOperator.Hosting.HealthBounds(InformerSyncTimeout: TimeSpan.FromMinutes(5), StalledWorkers: TimeSpan.FromSeconds(60), MaxReconcile: TimeSpan.FromSeconds(120)),
            time);
        Start(workers: 1);
        health.Track(controller);
        await reconciler.NextKey();
        await Loopback.Until(() => controller.Queue.Length == 1);
        health.Liveness().Ok.Should().BeTrue();

        time.Advance(TimeSpan.FromSeconds(60));
        health.Liveness().Ok.Should().BeTrue("the bound is not passed yet");
        time.Advance(TimeSpan.FromSeconds(1));
        var stalled = health.Liveness();
        stalled.Ok.Should().BeFalse();
        stalled.Lines.Should().Contain(l => l.StartsWith("workers stalled: 1 keys waiting and no reconcile finished for 61 s", StringComparison.Ordinal));

        time.Advance(TimeSpan.FromSeconds(60));
        health.Liveness().Lines.Should().Contain("reconcile of ml/fraud running for 121 s (bound 120 s)");
        health.Readiness().Ok.Should().BeTrue("a wedged leader is still synced; liveness, not readiness, restarts it");
    }

    [Test]
    public async Task Should_stay_healthy_with_keys_waiting_while_reconciles_keep_finishing()
    {
        primaries.NextList("1", Primary("fraud"));
        deployments.NextList("1");
        reconciler.Result = ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(30));
        var health = new BlueGreenOperator.Hosting.OperatorHealth(
            new BlueGreenOperator.Hosting.HealthBounds(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120)),
            time);
        Start(workers: 1);
        health.Track(controller);

        for (var round = 1; round <= 5; round++)
        {
            await reconciler.NextKey();
            await Loopback.Until(() => controller.Reconciles == round && time.ArmedTimers >= 1);
            time.Advance(TimeSpan.FromSeconds(30));
            health.Liveness().Ok.Should().BeTrue($"a reconcile finished within the last 30 s (round {round})");
        }
    }

    [Test]
    public async Task Should_turn_health_red_when_an_informer_never_syncs_and_say_why_in_readiness()
    {
        primaries.NextListFails(new HttpRequestException("connection refused (127.0.0.1:6443)"));
        deployments.NextList("1");
        var health = new BlueGreenOperator.Hosting.OperatorHealth(
            new BlueGreenOperator.Hosting.HealthBounds(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120)),
            time);
        Start(workers: 1);
        health.Track(controller);
        await Loopback.Until(() => controller.Informers.Any(i => i.Health.LastError is not null));

        var readiness = health.Readiness();
        readiness.Ok.Should().BeFalse();
        readiness.Lines.Should().Contain("informer primaries: not synced; last error: connection refused (127.0.0.1:6443)");
        readiness.Lines.Should().Contain("informer deployments: synced");
        health.Liveness().Ok.Should().BeTrue();

        time.Advance(TimeSpan.FromSeconds(31));
        health.Liveness().Lines.Should().Contain(l => l.StartsWith("informer primaries not synced after 31 s (bound 30 s)", StringComparison.Ordinal));
    }

    [Test]
    public async Task Should_record_reconcile_duration_errors_queue_depth_and_a_span_per_reconcile()
    {
        var measurements = new ConcurrentQueue<(string Instrument, double Value, string? Controller)>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == OperatorTelemetry.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, ControllerTag(tags))));
        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, ControllerTag(tags))));
        meters.SetMeasurementEventCallback<int>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, ControllerTag(tags))));
        meters.Start();
        using var tracing = new BlueGreenOperator.Tests.Telemetry.SpanRecorder();
        var spans = tracing.Spans;

        reconciler.FailTimes(new ObjectKey("ml", "fraud"), 1);
        primaries.NextList("1", Primary("fraud"), Primary("other"));
        deployments.NextList("1");
        Start(workers: 1);
        await Loopback.Until(() => controller.Reconciles == 2);
        meters.RecordObservableInstruments();

        var mine = measurements.Where(m => m.Controller == controllerName).ToList();
        mine.Where(m => m.Instrument == "bluegreen.reconcile.duration").Should().HaveCount(2);
        mine.Where(m => m.Instrument == "bluegreen.reconcile.errors").Sum(m => m.Value).Should().Be(1);
        mine.Should().Contain(m => m.Instrument == "bluegreen.queue.depth");
        spans.Where(s => s.OperationName == "reconcile" && (string?)s.GetTagItem("bluegreen.object.name") == "fraud")
            .Should().Contain(s => s.Status == ActivityStatusCode.Error);
    }

    private static string? ControllerTag(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == "controller")
            {
                return tag.Value as string;
            }
        }

        return null;
    }

    private static V1ConfigMap Primary(string name) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ml", ResourceVersion = "1" },
    };

    private static V1Deployment Owned(string name, string ownerName, string resourceVersion = "5") => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "ml",
            ResourceVersion = resourceVersion,
            Labels = new Dictionary<string, string>
            {
                [OwnerKeyResolver.ManagedByLabel] = OwnerKeyResolver.ManagedByValue,
                [OwnerKeyResolver.InstanceLabel] = ownerName,
            },
            OwnerReferences =
            [
                new V1OwnerReference { ApiVersion = "bluegreen.dev/v1alpha1", Kind = "BlueGreenDeployment", Name = ownerName, Uid = "uid-1", Controller = true },
            ],
        },
    };

    private static V1Deployment Unmanaged(string name) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = "ml",
            ResourceVersion = "4",
            Labels = new Dictionary<string, string> { [OwnerKeyResolver.InstanceLabel] = name },
        },
    };

    private void Start(int workers = 2, TimeSpan? shutdownTimeout = null, CancellationToken lost = default)
    {
        controller = new Controller(
            reconciler,
            new ControllerOptions { Name = controllerName, Workers = workers, ShutdownTimeout = shutdownTimeout ?? TimeSpan.FromSeconds(30) },
            logger,
            time);
        controller.Watch(new Informer<V1ConfigMap>("primaries", primaries.Source, NullLogger.Instance, new InformerOptions<V1ConfigMap> { ResyncPeriod = TimeSpan.Zero }, time));
        controller.Owns(new Informer<V1Deployment>("deployments", deployments.Source, NullLogger.Instance, new InformerOptions<V1Deployment> { ResyncPeriod = TimeSpan.Zero }, time));
        informersRunning = controller.RunInformersAsync(stopInformers.Token);
        workersRunning = controller.RunWorkersAsync(stopWorkers.Token, lost);
    }

    private sealed class RecordingReconciler : IReconciler
    {
        private readonly ConcurrentDictionary<ObjectKey, int> failuresLeft = new();
        private readonly System.Threading.Channels.Channel<ObjectKey> seen = System.Threading.Channels.Channel.CreateUnbounded<ObjectKey>();
        private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentQueue<ObjectKey> Keys { get; } = new();

        public ReconcileResult Result { get; set; } = ReconcileResult.Done;

        public bool Block { get; set; }

        public Exception? Throw { get; set; }

        public CancellationToken LastToken { get; private set; }

        public Microsoft.Extensions.Logging.ILogger? Log { get; set; }

        public void FailTimes(ObjectKey key, int times) => failuresLeft[key] = times;

        public void ReleaseAll() => release.TrySetResult();

        public async Task<ObjectKey> NextKey() => await seen.Reader.ReadAsync().AsTask().WaitAsync(Wait);

        public async Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken)
        {
            LastToken = cancellationToken;
            Keys.Enqueue(key);
            seen.Writer.TryWrite(key);
            if (Log is not null)
            {
                Microsoft.Extensions.Logging.LoggerExtensions.LogInformation(Log, "reconciling");
            }

            if (Block)
            {
                await release.Task.WaitAsync(cancellationToken);
            }

            if (Throw is { } error)
            {
                throw error;
            }

            if (failuresLeft.TryGetValue(key, out var left) && left > 0)
            {
                failuresLeft[key] = left - 1;
                throw new InvalidOperationException("API server said no");
            }

            return Result;
        }
    }
}
