using BlueGreenOperator.Api;
using BlueGreenOperator.Reconciliation;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Runtime;
using BlueGreenOperator.Tests.Rollout;
using BlueGreenOperator.Tests.Rollout.Simulation;
using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Reconciliation;

/// <summary>
/// The reconcile loop's own rules, on the simulated cluster: decisions persisted before they act, nothing resurrected
/// by a lost or refused status write, checks not repeated, a decision on a cached view confirmed before it moves traffic.
/// </summary>
[TestFixture]
public sealed class RolloutReconcilerTests
{
    static readonly ObjectKey Key = new("ml", "fraud-model");

    sealed class Harness
    {
        public Harness(Action<BlueGreenDeploymentSpec>? edit = null)
        {
            World = new SimWorld(new Random(7), Given.Resource("v1", s =>
            {
                s.Strategy.StabilizationSeconds = 0;
                s.Strategy.ScaleDownDelaySeconds = 0;
                edit?.Invoke(s);
            }));
            World.Traits["v1"] = Trait.Good;
            World.Violation = v => Assert.Fail(v);
            Checks = new SimChecks(World, new Random(7));
            View = new View(World, null);
            Coordinator = new CheckCoordinator(Checks, 4, _ => { });
            Reconciler = new RolloutReconciler(View, View, Coordinator, World.Clock, NullLogger<RolloutReconciler>.Instance);
        }

        public SimWorld World { get; }
        public SimChecks Checks { get; }
        public View View { get; }
        public CheckCoordinator Coordinator { get; }
        public RolloutReconciler Reconciler { get; }
        public BlueGreenDeploymentStatus Status => World.Object.Status!;

        public ReconcileResult Reconcile() => Reconciler.ReconcileAsync(Key, CancellationToken.None).GetAwaiter().GetResult();

        /// <summary>Ticks of the world with a reconcile each, until the condition holds.</summary>
        public void RunUntil(Func<Harness, bool> done, int ticks = 200)
        {
            for (var i = 0; i < ticks && !done(this); i++)
            {
                World.Now++;
                Checks.Advance();
                Reconcile();
                World.Advance();
            }

            done(this).Should().BeTrue($"the world should get there; last: {string.Join(" | ", World.Log.TakeLast(8))}");
        }

        public void Ship(string version, Trait trait)
        {
            World.Traits[version] = trait;
            var template = Given.Resource(version).Spec.Template;
            World.Replace(o =>
            {
                o.Spec = k8s.KubernetesJson.Deserialize<BlueGreenDeploymentSpec>(k8s.KubernetesJson.Serialize(o.Spec));
                o.Spec.Model.Version = version;
                o.Spec.Template = template;
                o.Metadata.Generation++;
                return o;
            });
        }
    }

    static Harness ServingV1()
    {
        var harness = new Harness();
        harness.RunUntil(h => h.Status?.Phase == Phase.Healthy);
        return harness;
    }

    [Test]
    [NonParallelizable]
    public void Should_trace_every_stage_of_a_release_in_the_one_trace_of_that_release()
    {
        using var recorder = new BlueGreenOperator.Tests.Telemetry.SpanRecorder();
        var spans = recorder.Spans;
        var harness = ServingV1();
        harness.Ship("v2", Trait.Good);

        harness.RunUntil(h => h.Status.Phase == Phase.Healthy && h.Status.ActiveModelVersion == "v2");

        var uid = harness.World.Object.Metadata.Uid ?? "";
        var v2 = BlueGreenOperator.Telemetry.ReleaseTrace.For(uid, RevisionHash.Compute(harness.World.Object.Spec));
        var stages = spans.Where(s => s.DisplayName.StartsWith("stage ", StringComparison.Ordinal) && s.TraceId == v2.TraceId).ToList();
        stages.Select(s => s.DisplayName).Distinct().Should().Contain(["stage Release", "stage Stabilizing", "stage Steady"], "one trace follows v2 from its start to Healthy");
        stages.Should().OnlyContain(s => s.ParentSpanId == v2.SpanId && (string?)s.GetTagItem("bluegreen.model.version") == "v2");
        spans.Where(s => s.DisplayName.StartsWith("stage ", StringComparison.Ordinal) && (string?)s.GetTagItem("bluegreen.model.version") == "v1")
            .Should().NotBeEmpty().And.OnlyContain(s => s.TraceId != v2.TraceId, "v1's release has a trace of its own");
    }

    [Test]
    public void Should_persist_an_abort_before_the_failed_colour_is_scaled_down()
    {
        var harness = ServingV1();
        harness.Ship("v2", Trait.FailsSmokeTests);

        harness.RunUntil(h => h.World.Deployments.TryGetValue(Color.Green, out var green) && green.Desired == 0 && h.Status.AbortedRevision is not null);

        var log = harness.World.Log;
        var decided = log.FindIndex(l => l.Contains("condemned", StringComparison.Ordinal));
        var scaled = log.FindIndex(l => l.Contains("ScaleDeployment", StringComparison.Ordinal) && l.Contains("Green", StringComparison.Ordinal));
        decided.Should().BeGreaterThan(-1);
        scaled.Should().BeGreaterThan(decided, "the abort is in status before the failed colour is touched");
    }

    [Test]
    public void Should_not_touch_the_failed_colour_nor_run_the_checks_again_while_the_status_write_recording_the_abort_is_refused()
    {
        var harness = ServingV1();
        harness.Ship("v2", Trait.FailsSmokeTests);
        harness.RunUntil(h => h.Checks.Busy && h.Status.Phase == Phase.Testing);
        var runs = harness.Checks.Runs;
        harness.World.NextFault = what => what == "status" ? Fault.Refused : Fault.None;

        for (var i = 0; i < 5; i++)
        {
            harness.World.Now += 10;
            harness.Checks.Advance();
            harness.Reconcile();
        }

        harness.Coordinator.LastReport(harness.World.Object.Metadata.Uid, BlueGreenOperator.Checks.CheckKind.Smoke).Should().Match<CheckReport>(r => !r.Passed);
        harness.World.Deployments[Color.Green].Desired.Should().Be(3, "the abort is not recorded, so nothing acts on it");
        harness.Status.AbortedRevision.Should().BeNull();
        harness.World.EventReasons.Should().ContainKey("StatusWriteRefused");
        harness.World.NextFault = _ => Fault.None;
        harness.World.Now += 10;
        harness.Reconcile();

        harness.Status.AbortedRevision.Should().NotBeNull("the failed report was kept: the abort is recorded as soon as status can be written");
        harness.World.Deployments[Color.Green].Desired.Should().Be(0);
        harness.Checks.Runs.Should().Be(runs, "a refused status write never makes the checks run again (and pass by chance)");
    }

    [Test]
    public void Should_decide_again_without_running_the_checks_again_when_status_writes_conflict()
    {
        var harness = ServingV1();
        harness.Ship("v2", Trait.Good);
        harness.RunUntil(h => h.Checks.Runs == 2 && !h.Checks.Busy);
        var runs = harness.Checks.Runs;
        var conflicts = 3;
        harness.World.NextFault = what => what == "status" && conflicts-- > 0 ? Fault.Conflict : Fault.None;

        harness.RunUntil(h => h.Status.Phase == Phase.Stabilizing || h.Status.Phase == Phase.Healthy && h.Status.ActiveModelVersion == "v2");

        harness.Checks.Runs.Should().Be(runs);
        harness.Status.ActiveModelVersion.Should().Be("v2");
    }

    [Test]
    public void Should_report_a_refused_write_once_and_retry_it_with_back_off()
    {
        var harness = ServingV1();
        harness.World.QuotaUntil = int.MaxValue;
        harness.Ship("v2", Trait.Good);
        harness.World.Now++;
        harness.Reconcile();

        harness.Status.Phase.Should().Be(Phase.Degraded);
        harness.Status.Conditions.Should().Contain(c => c.Type == "Degraded" && c.Reason == "WriteRefused" && c.Message.Contains("exceeded quota"));
        var writes = harness.World.Writes;
        var statusWrites = harness.World.Log.Count(l => l.Contains(": status ", StringComparison.Ordinal));

        var result = harness.Reconcile();
        result.RequeueDelay.Should().BeGreaterThan(TimeSpan.Zero, "the retry waits for its back-off");
        harness.World.Writes.Should().Be(writes, "no request before the back-off is over");

        harness.World.Now += 1;
        harness.Reconcile();
        harness.World.Now += 2;
        harness.Reconcile();
        harness.World.Log.Count(l => l.Contains(": status ", StringComparison.Ordinal)).Should().Be(statusWrites, "the refusal is reported once, not on every retry");
        harness.World.EventReasons["WriteRefused"].Should().Be(1);

        harness.World.QuotaUntil = -1;
        harness.RunUntil(h => h.Status.Phase is Phase.Stabilizing or Phase.Healthy && h.Status.ActiveModelVersion == "v2", ticks: 300);
    }

    [Test]
    public void Should_confirm_a_cached_decision_before_it_moves_traffic()
    {
        var harness = ServingV1();
        var stale = harness.World.Object;
        harness.Ship("v2", Trait.Good);
        harness.RunUntil(h => h.Status.ActiveModelVersion == "v2" && h.Status.LastSwitchMilliseconds is not null);
        var selectorWrites = harness.World.SelectorWrites;

        // The cache still holds the object as it was before the switch: it would restore the Service to blue.
        harness.View.Lag(stale);
        harness.Reconcile();

        harness.World.SelectorWrites.Should().Be(selectorWrites, "the object is read live first, and the live status agrees with the Service");
        harness.World.Active!.Selector[WellKnown.ColorLabel].Should().Be("green");
    }
}
