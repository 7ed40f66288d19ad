using System.Collections.Concurrent;
using System.Diagnostics;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Reconciliation;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Runtime;
using BlueGreenOperator.Telemetry;
using BlueGreenOperator.Tests.Checks;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Checks.Probing;

namespace BlueGreenOperator.Tests.Telemetry;

/// <summary>
/// One trace per release: its ids follow from the object and the revision, check runs of the release are spans of it
/// (also a run that waited for a slot freed by another release's run), and the model server receives the trace in the
/// W3C traceparent header of every check request, so that its own spans join the release's trace.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class ReleaseTraceTests
{
    [Test]
    public void Should_derive_the_same_trace_for_a_release_everywhere_and_another_for_another_release()
    {
        var release = ReleaseTrace.For("uid-1", "6d536d2bc7");

        ReleaseTrace.For("uid-1", "6d536d2bc7").Should().Be(release, "every replica and every restart computes the same trace");
        ReleaseTrace.For("uid-1", "d67253bc18").TraceId.Should().NotBe(release.TraceId);
        ReleaseTrace.For("uid-2", "6d536d2bc7").TraceId.Should().NotBe(release.TraceId, "a deleted and re-created object starts a new history");
        release.TraceFlags.Should().Be(ActivityTraceFlags.Recorded);
    }

    [Test]
    public async Task Should_run_each_releases_checks_in_its_trace_and_send_the_trace_to_the_model_server()
    {
        using var recorder = new SpanRecorder();
        var spans = recorder.Spans;
        await using var model = await ModelServer.StartAsync();
        var woken = new ConcurrentQueue<ObjectKey>();
        using var pool = new CheckCoordinator(Runner(), maxConcurrentRuns: 1, woken.Enqueue);
        var first = ReleaseTrace.For("uid-a", "r1");
        var second = ReleaseTrace.For("uid-b", "r7");

        // Two releases' runs on a pool of one slot: the second is dispatched when the first one's run finishes.
        var stageA = StartUnder(pool, first, "a", model.Port);
        var stageB = StartUnder(pool, second, "b", model.Port);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((pool.LastReport("uid-a", CheckKind.Smoke) is null || pool.LastReport("uid-b", CheckKind.Smoke) is null) && DateTime.UtcNow < deadline)
            await Task.Delay(20);

        pool.LastReport("uid-b", CheckKind.Smoke)!.Passed.Should().BeTrue();
        foreach (var (release, trace, stage) in new[] { ("a", first, stageA), ("b", second, stageB) })
        {
            var run = spans.Single(s => s.DisplayName == "checks smoke" && (string?)s.GetTagItem("bluegreen.revision") == Revision && s.TraceId == trace.TraceId);
            run.ParentSpanId.Should().Be(stage, "release {0}'s run is a child of the stage span that asked for it", release);
            spans.Single(s => s.SpanId == stage).ParentSpanId.Should().Be(trace.SpanId, "the stage hangs under the release's root");
            spans.Should().Contain(s => s.DisplayName == "check golden" && s.ParentSpanId == run.SpanId);
        }

        var traceparents = model.Received.Select(r => r.Headers.GetValueOrDefault("traceparent")).ToList();
        traceparents.Should().HaveCount(2).And.OnlyContain(t => t != null);
        traceparents.Select(t => t!.Split('-')[1]).Should().BeEquivalentTo([first.TraceId.ToHexString(), second.TraceId.ToHexString()]);
    }

    /// <summary>Starts a run as a reconcile of the release does, inside a stage span; returns the stage span's id.</summary>
    static ActivitySpanId StartUnder(CheckCoordinator pool, ActivityContext release, string name, int port)
    {
        using var stage = OperatorTelemetry.ActivitySource.StartActivity("stage Release", ActivityKind.Internal, release)!;
        pool.Start(new ObjectKey(Namespace, name), $"uid-{name}", CheckKind.Smoke, Color.Green, Revision, Pods(1), [Golden(port)]);
        return stage.SpanId;
    }
}
