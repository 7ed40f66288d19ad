using System.Diagnostics;
using System.Diagnostics.Metrics;
using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Checks.Probing;

namespace BlueGreenOperator.Tests.Checks;

/// <summary>What the runner reports beyond a single check: no pods, unreachable pods, cancellation and telemetry.</summary>
[TestFixture]
public sealed class SmokeTestRunnerTests
{
    [Test]
    public async Task Should_not_pass_when_there_is_no_pod_to_test()
    {
        await using var model = await ModelServer.StartAsync();

        var report = await RunAsync([], Golden(model.Port));

        report.PodsTested.Should().Be(0);
        report.Results.Should().BeEmpty();
        report.Passed.Should().BeFalse();
        report.Summary.Should().Be("no ready pod to check");
        model.Received.Should().BeEmpty();
    }

    [Test]
    public async Task Should_report_connection_refused_for_a_port_nothing_listens_on()
    {
        var port = LocalHttpServer.UnusedPort();

        var report = await RunAsync(Pods(2), Golden(port));

        report.Passed.Should().BeFalse();
        report.Results.Should().HaveCount(2).And.OnlyContain(r => r.Message == $"connection refused (127.0.0.1:{port})");
    }

    [Test]
    public async Task Should_keep_checking_a_pod_after_one_of_its_checks_failed()
    {
        await using var model = await ModelServer.StartAsync();
        var broken = Http("live", new HttpCheckSpec { Port = model.Port, Path = "/v2/health/live" });
        var ready = Http("ready", new HttpCheckSpec { Port = model.Port, Path = "/v2/health/ready" });

        var report = await RunAsync(Pods(1), broken, ready, Golden(model.Port));

        report.Results.Select(r => (r.Name, r.Passed)).Should().Equal(("live", false), ("ready", true), ("golden", true));
        report.Passed.Should().BeFalse();
    }

    [Test]
    public async Task Should_fail_a_check_that_names_no_probe()
    {
        var report = await RunAsync(Pods(1), new CheckSpec { Name = "empty" });

        report.Results.Single().Message.Should().Be("check has none of http, inference or prometheus");
    }

    [Test]
    public async Task Should_stop_when_the_caller_cancels_rather_than_report_a_timeout()
    {
        await using var model = await ModelServer.StartAsync();
        model.Behaviour = new ModelBehaviour { Delay = TimeSpan.FromSeconds(30) };
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var run = () => Runner().RunAsync(Smoke(Pods(2), Golden(model.Port, edit: c => c.TimeoutSeconds = 20)), cancel.Token);

        await run.Should().ThrowAsync<OperationCanceledException>();
    }

    [Test]
    public async Task Should_trace_each_check_and_record_its_duration()
    {
        await using var model = await ModelServer.StartAsync();
        model.For("::ffff:127.0.0.1", new ModelBehaviour { Prediction = [1] });
        var spans = new List<Activity>();
        using var tracing = new ActivityListener
        {
            ShouldListenTo = source => source.Name == BlueGreenOperator.Runtime.OperatorTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = span => { lock (spans) spans.Add(span); },
        };
        ActivitySource.AddActivityListener(tracing);
        var durations = new List<(double Seconds, Dictionary<string, object?> Tags)>();
        using var metrics = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == BlueGreenOperator.Runtime.OperatorTelemetry.Name && instrument.Name == "bluegreen.check.duration")
                    listener.EnableMeasurementEvents(instrument);
            },
        };
        metrics.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            lock (durations) durations.Add((value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
        });
        metrics.Start();
        var pods = new[] { new CheckTarget("fraud-model-green-0", "127.0.0.1"), new CheckTarget("fraud-model-green-1", "::ffff:127.0.0.1") };

        await Runner().RunAsync(Smoke(pods, Golden(model.Port)), CancellationToken.None);

        var mine = spans.Where(s => s.OperationName == "check golden" && Equals(s.GetTagItem("bluegreen.color"), "green")).ToList();
        mine.Select(s => (s.GetTagItem("k8s.pod.name"), s.GetTagItem("bluegreen.check.passed")))
            .Should().BeEquivalentTo(new[] { ((object?)"fraud-model-green-0", (object?)true), ("fraud-model-green-1", false) });
        mine.Single(s => Equals(s.GetTagItem("bluegreen.check.passed"), false)).Status.Should().Be(ActivityStatusCode.Error);
        mine.Should().OnlyContain(s => Equals(s.GetTagItem("bluegreen.check.name"), "golden"));
        var golden = durations.Where(d => Equals(d.Tags["probe"], "inference")).ToList();
        golden.Select(d => (d.Tags["kind"], d.Tags["outcome"]))
            .Should().BeEquivalentTo(new[] { ((object?)"smoke", (object?)"pass"), ("smoke", "fail") });
        golden.Should().OnlyContain(d => d.Seconds > 0 && d.Tags.Keys.Order().SequenceEqual(new[] { "kind", "outcome", "probe" }));
    }

    [Test]
    public async Task Should_label_check_durations_only_from_bounded_sets_whatever_the_check_names()
    {
        await using var model = await ModelServer.StartAsync();
        var tagSets = new HashSet<string>();
        using var metrics = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == BlueGreenOperator.Runtime.OperatorTelemetry.Name && instrument.Name == "bluegreen.check.duration")
                    listener.EnableMeasurementEvents(instrument);
            },
        };
        metrics.SetMeasurementEventCallback<double>((_, _, tags, _) =>
        {
            var set = string.Join(",", tags.ToArray().OrderBy(t => t.Key).Select(t => $"{t.Key}={t.Value}"));
            lock (tagSets) tagSets.Add(set);
        });
        metrics.Start();
        var checks = Enumerable.Range(0, 40)
            .Select(i => Http($"tenant-chosen-{i}", new HttpCheckSpec { Port = model.Port, Path = i % 2 == 0 ? "/v2/health/ready" : "/v2/health/live" }))
            .ToArray();

        await RunAsync(Pods(1), checks);

        var mine = tagSets.Where(s => s.Contains("probe=http", StringComparison.Ordinal)).ToList();
        mine.Should().BeEquivalentTo("kind=smoke,outcome=fail,probe=http", "kind=smoke,outcome=pass,probe=http");
        tagSets.Should().NotContain(s => s.Contains("tenant-chosen", StringComparison.Ordinal));
    }
}
