using System.Diagnostics;
using System.Net;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.ModelServer.Tests.InferenceMessages;

namespace BlueGreenOperator.ModelServer.Tests;

[TestFixture]
public sealed class FaultKnobTests
{
    private const string Labels = "model=\"iris\",version=\"v1\"";

    private static Task<ModelServerProcess> StartWith(string knob, string value, bool untilReady = true) =>
        ModelServerProcess.StartAsync(new Dictionary<string, string> { [knob] = value }, untilReady: untilReady);

    [Test]
    public async Task Should_be_live_at_once_and_ready_only_after_the_startup_delay()
    {
        await using var server = await StartWith("STARTUP_DELAY_SECONDS", "3", untilReady: false);

        (await server.GetAsync("/v2/health/live")).Status.Should().Be(HttpStatusCode.OK);
        (await server.GetAsync("/v2/health/ready")).Status.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await server.GetAsync("/v2/models/iris/ready")).Status.Should().Be(HttpStatusCode.ServiceUnavailable);
        var (inferStatus, inferBody) = await server.InferAsync(Request(Setosa));
        inferStatus.Should().Be(HttpStatusCode.ServiceUnavailable);
        ((string?)inferBody!["error"]).Should().Contain("not ready");

        await PollUntilAsync(async () => (await server.GetAsync("/v2/health/ready")).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        (await server.GetAsync("/v2/models/iris/ready")).Status.Should().Be(HttpStatusCode.OK);
        (await server.InferAsync(Request(Setosa))).Status.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task Should_never_become_ready_when_told_so()
    {
        await using var server = await StartWith("NEVER_READY", "true", untilReady: false);

        for (var i = 0; i < 5; i++)
        {
            (await server.GetAsync("/v2/health/live")).Status.Should().Be(HttpStatusCode.OK);
            (await server.GetAsync("/v2/health/ready")).Status.Should().Be(HttpStatusCode.ServiceUnavailable);
            await Task.Delay(200);
        }

        (await server.InferAsync(Request(Setosa))).Status.Should().Be(HttpStatusCode.ServiceUnavailable);
    }

    [Test]
    public async Task Should_answer_the_next_class_when_predictions_are_wrong()
    {
        await using var server = await StartWith("WRONG_PREDICTIONS", "true");

        var (status, body) = await server.InferAsync(Request(Setosa, [6.3, 3.3, 6.0, 2.5]));

        status.Should().Be(HttpStatusCode.OK);
        Classes(body).Should().Equal(1, 0);
        var probabilities = Probabilities(body);
        probabilities[1].Should().BeGreaterThan(0.9, "the probabilities are shifted with the class");
    }

    [Test]
    public async Task Should_answer_versicolor_and_virginica_as_each_other_and_setosa_right_with_swapped_labels()
    {
        await using var server = await StartWith("SWAPPED_LABELS", "true");

        var (status, body) = await server.InferAsync(Request(Setosa, [6.3, 3.3, 6.0, 2.5], [5.7, 2.8, 4.1, 1.3]));

        status.Should().Be(HttpStatusCode.OK);
        Classes(body).Should().Equal(0, 1, 2);
        var probabilities = Probabilities(body);
        probabilities[0].Should().BeGreaterThan(0.9, "setosa keeps its label");
        probabilities[4].Should().BeGreaterThan(0.9, "the virginica probability moves with the label");
        server.Output.Should().Contain("SWAPPED_LABELS=True");
    }

    [Test]
    public async Task Should_let_exactly_one_of_several_replicas_claim_the_wrong_predictions()
    {
        var claim = Path.Combine(Path.GetTempPath(), $"model-server-claim-{Guid.NewGuid():N}");
        try
        {
            var knobs = new Dictionary<string, string> { ["WRONG_PREDICTIONS_CLAIM_FILE"] = claim };
            await using var first = await ModelServerProcess.StartAsync(knobs);
            await using var second = await ModelServerProcess.StartAsync(knobs);
            await using var third = await ModelServerProcess.StartAsync(knobs);

            var classes = new List<long>();
            foreach (var server in new[] { first, second, third })
                classes.Add(Classes((await server.InferAsync(Request(Setosa))).Body)[0]);

            classes.Should().BeEquivalentTo(new long[] { 0, 0, 1 }, "the first to claim the file predicts the next class, the others are right");
            File.Exists(claim).Should().BeTrue();
        }
        finally
        {
            File.Delete(claim);
        }
    }

    [Test]
    public async Task Should_delay_every_inference_by_the_added_latency()
    {
        await using var server = await StartWith("ADDED_LATENCY_MS", "400");

        var watch = Stopwatch.StartNew();
        var (status, _) = await server.InferAsync(Request(Setosa));
        watch.Stop();

        status.Should().Be(HttpStatusCode.OK);
        watch.Elapsed.Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(400));
        var metrics = await server.ScrapeMetricsAsync();
        PrometheusText.Sample(metrics, $"model_inference_duration_seconds_bucket{{{Labels},le=\"0.25\"}}").Should().Be(0);
        PrometheusText.Sample(metrics, $"model_inference_duration_seconds_count{{{Labels}}}").Should().Be(1);
        PrometheusText.Sample(metrics, $"model_inference_duration_seconds_sum{{{Labels}}}").Should().BeGreaterThanOrEqualTo(0.4);
    }

    [Test]
    public async Task Should_burn_the_cpu_work_on_every_inference_so_load_becomes_cpu_usage()
    {
        await using var server = await StartWith("CPU_WORK_MS", "200");

        var before = server.CpuTime;
        for (var i = 0; i < 3; i++)
        {
            (await server.InferAsync(Request(Setosa))).Status.Should().Be(HttpStatusCode.OK);
        }

        (server.CpuTime - before).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(600), "200 ms of CPU time for each of 3 requests");
        server.Output.Should().Contain("CPU_WORK_MS=200");
    }

    [Test]
    public async Task Should_answer_the_first_inference_requests_slowly_during_the_cold_start_and_then_at_full_speed()
    {
        await using var server = await ModelServerProcess.StartAsync(new Dictionary<string, string> { ["COLD_START_MS"] = "800", ["COLD_START_REQUESTS"] = "4" });

        var elapsed = new List<TimeSpan>();
        for (var i = 0; i < 6; i++)
        {
            var watch = Stopwatch.StartNew();
            (await server.InferAsync(Request(Setosa))).Status.Should().Be(HttpStatusCode.OK);
            elapsed.Add(watch.Elapsed);
        }

        // Request n of 4 waits (4 - n + 1)/4 of 800 ms: 800, 600, 400, 200, then nothing (not asserted: a wall-clock bound).
        elapsed[0].Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(800));
        elapsed[1].Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(600));
        elapsed[3].Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(200));
        var metrics = await server.ScrapeMetricsAsync();
        PrometheusText.Sample(metrics, $"model_inference_duration_seconds_sum{{{Labels}}}").Should().BeGreaterThanOrEqualTo(2.0, "the cold start is part of the measured duration");
        PrometheusText.Sample(metrics, $"model_cold_start_requests_total{{{Labels}}}").Should().Be(4);
    }

    [Test]
    public async Task Should_be_cold_again_after_the_idle_time_and_stay_warm_while_requests_keep_coming()
    {
        await using var server = await ModelServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["COLD_START_MS"] = "300", ["COLD_START_REQUESTS"] = "2", ["COLD_AFTER_IDLE_SECONDS"] = "2",
        });

        for (var i = 0; i < 3; i++)
            (await server.InferAsync(Request(Setosa))).Status.Should().Be(HttpStatusCode.OK);
        var warm = PrometheusText.Sample(await server.ScrapeMetricsAsync(), $"model_cold_start_requests_total{{{Labels}}}");
        var idle = Stopwatch.StartNew();
        await PollUntilAsync(() => Task.FromResult(idle.Elapsed >= TimeSpan.FromSeconds(2.5)), TimeSpan.FromSeconds(10));
        (await server.InferAsync(Request(Setosa))).Status.Should().Be(HttpStatusCode.OK);
        var cold = PrometheusText.Sample(await server.ScrapeMetricsAsync(), $"model_cold_start_requests_total{{{Labels}}}");

        warm.Should().Be(2, "the first two requests paid the cold start, the third did not");
        cold.Should().Be(3, "after the idle time the model was cold again");
    }

    [TestCase("0.5", new[] { 200, 500, 200, 500, 200, 500 })]
    [TestCase("0.25", new[] { 200, 200, 200, 500, 200, 200, 200, 500 })]
    [TestCase("1", new[] { 500, 500, 500 })]
    public async Task Should_fail_exactly_the_share_of_requests_the_error_rate_gives(string rate, int[] expected)
    {
        await using var server = await StartWith("ERROR_RATE", rate);

        var codes = new List<int>();
        foreach (var _ in expected)
        {
            var (status, body) = await server.InferAsync(Request(Setosa));
            codes.Add((int)status);
            if (status == HttpStatusCode.InternalServerError)
            {
                ((string?)body!["error"]).Should().Contain("Injected failure").And.Contain($"ERROR_RATE={rate}");
            }
        }

        codes.Should().Equal(expected);
        var metrics = await server.ScrapeMetricsAsync();
        PrometheusText.Sample(metrics, $"model_requests_total{{{Labels},code=\"500\"}}").Should().Be(expected.Count(c => c == 500));
        PrometheusText.Sample(metrics, $"model_request_errors_total{{{Labels}}}").Should().Be(expected.Count(c => c == 500));
    }

    [Test]
    public async Task Should_exit_with_code_1_after_the_given_number_of_inference_requests()
    {
        await using var server = await StartWith("CRASH_AFTER_REQUESTS", "3");

        for (var i = 0; i < 3; i++)
        {
            (await server.InferAsync(Request(Setosa))).Status.Should().Be(HttpStatusCode.OK);
        }

        await server.WaitForExitAsync(TimeSpan.FromSeconds(30));
        server.ExitCode.Should().Be(1);
        server.Output.Should().Contain("Crashing after 3 inference requests");
    }

    [Test]
    public async Task Should_keep_serving_when_fewer_requests_than_the_crash_threshold_arrive()
    {
        await using var server = await StartWith("CRASH_AFTER_REQUESTS", "5");

        for (var i = 0; i < 4; i++)
        {
            (await server.InferAsync(Request(Setosa))).Status.Should().Be(HttpStatusCode.OK);
        }

        await Task.Delay(500);
        server.HasExited.Should().BeFalse();
        (await server.GetAsync("/v2/health/live")).Status.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task Should_shut_down_cleanly_on_SIGTERM()
    {
        await using var server = await ModelServerProcess.StartAsync();

        await server.TerminateAsync();
        await server.WaitForExitAsync(TimeSpan.FromSeconds(30));

        server.ExitCode.Should().Be(0);
        server.Output.Should().Contain("Application is shutting down");
    }

    [Test]
    public async Task Should_log_every_knob_at_startup()
    {
        await using var server = await ModelServerProcess.StartAsync(new Dictionary<string, string>
        {
            ["STARTUP_DELAY_SECONDS"] = "0.5",
            ["WRONG_PREDICTIONS"] = "true",
            ["ADDED_LATENCY_MS"] = "7",
            ["ERROR_RATE"] = "0.1",
            ["CRASH_AFTER_REQUESTS"] = "99",
            ["REPORTED_VERSION"] = "v1-rc2",
        });

        await PollUntilAsync(() => Task.FromResult(server.Output.Contains("CRASH_AFTER_REQUESTS=", StringComparison.Ordinal)), TimeSpan.FromSeconds(10));
        server.Output.Should().Contain("REPORTED_VERSION=v1-rc2").And.Contain("STARTUP_DELAY_SECONDS=0.5").And.Contain("NEVER_READY=False")
            .And.Contain("WRONG_PREDICTIONS=True").And.Contain("ADDED_LATENCY_MS=7").And.Contain("ERROR_RATE=0.1")
            .And.Contain("CRASH_AFTER_REQUESTS=99");
    }

    [Test]
    public async Task Should_listen_on_the_port_given_as_an_argument()
    {
        await using var server = await ModelServerProcess.StartAsync(portAsArgument: true);

        (await server.GetAsync("/v2/health/ready")).Status.Should().Be(HttpStatusCode.OK);
        server.Output.Should().Contain($"127.0.0.1:{server.Port}");
    }

    [TestCase("ERROR_RATE", "1.5", "ERROR_RATE must be between 0 and 1")]
    [TestCase("NEVER_READY", "perhaps", "NEVER_READY must be true or false")]
    [TestCase("ADDED_LATENCY_MS", "-5", "ADDED_LATENCY_MS must not be negative")]
    [TestCase("CRASH_AFTER_REQUESTS", "0", "CRASH_AFTER_REQUESTS must be at least 1")]
    [TestCase("COLD_START_MS", "-1", "COLD_START_MS must not be negative")]
    [TestCase("COLD_START_REQUESTS", "0", "COLD_START_REQUESTS must be between 1 and 1000000")]
    [TestCase("COLD_AFTER_IDLE_SECONDS", "-2", "COLD_AFTER_IDLE_SECONDS must not be negative")]
    [TestCase("PORT", "http", "PORT must be a number")]
    [TestCase("REPORTED_VERSION", "v1\u0007beta", "REPORTED_VERSION must not contain control characters")]
    public async Task Should_refuse_to_start_with_an_invalid_knob(string knob, string value, string message)
    {
        await using var server = await ModelServerProcess.StartExpectingExitAsync(new Dictionary<string, string> { [knob] = value });

        server.ExitCode.Should().Be(2);
        server.Output.Should().Contain(message);
    }

    private static async Task PollUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!await condition())
        {
            watch.Elapsed.Should().BeLessThan(timeout, "the condition should have held by then");
            await Task.Delay(100);
        }
    }
}
