using System.Text;
using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using Microsoft.AspNetCore.Http;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Checks.Probing;

namespace BlueGreenOperator.Tests.Checks;

/// <summary>
/// Pods that answer to hurt the operator: huge, slow, endless, malformed, redirecting, header-bloated. Every attempt
/// ends with a bounded reason, and the operator reads no more of a body than its limit: measured as the bytes the
/// whole process allocated while eight such pods answered.
/// </summary>
[TestFixture]
public sealed class HostilePodTests
{
    const int FourMiB = 4 * 1024 * 1024;
    const string TooLarge = "response body is larger than 64 KiB, the limit for check responses";

    // Eight bodies read whole and decoded (4 MiB of bytes and 8 MiB of string each) would allocate more than 96 MiB.
    const long Bound = 8 * 512 * 1024;

    static readonly byte[] Chunk = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("[0.1, 0.2, 0.3, 0.4],", 64 * 1024 / 21)));

    LocalHttpServer? pod;

    [TearDown]
    public async Task StopPod()
    {
        if (pod is not null)
            await pod.DisposeAsync();
    }

    /// <summary>A body of <paramref name="bytes"/> (null: endless) written in 64 KiB chunks, <paramref name="pause"/> apart.</summary>
    static Func<ReceivedRequest, HttpContext, Task> Streaming(long? bytes, TimeSpan pause, bool declareLength = false) => async (_, context) =>
    {
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        if (declareLength && bytes is { } length)
            context.Response.ContentLength = length;
        for (long sent = 0; bytes is null || sent < bytes; sent += Chunk.Length)
        {
            var part = bytes is null ? Chunk.Length : (int)Math.Min(Chunk.Length, bytes.Value - sent);
            await context.Response.Body.WriteAsync(Chunk.AsMemory(0, part), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            if (pause > TimeSpan.Zero)
                await Task.Delay(pause, context.RequestAborted);
        }
    };

    async Task<int> StartPodAsync(Func<ReceivedRequest, HttpContext, Task> respond)
    {
        pod = await LocalHttpServer.StartAsync(respond);
        return pod.Port;
    }

    /// <summary>Bytes the whole process allocated during one run against eight pods, after a warm-up run (pools filled).</summary>
    static async Task<(CheckReport Report, long Allocated)> MeasureAsync(params CheckSpec[] checks)
    {
        await RunAsync(Pods(8), checks);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var report = await RunAsync(Pods(8), checks);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        await TestContext.Out.WriteLineAsync($"8 hostile pods: {allocated / 1024} KiB allocated by the whole process during the run");
        return (report, allocated);
    }

    [Test]
    public async Task Should_stop_reading_eight_slow_four_mebibyte_bodies_at_the_limit()
    {
        var port = await StartPodAsync(Streaming(FourMiB, TimeSpan.FromMilliseconds(20)));
        var check = Golden(port, edit: c => c.TimeoutSeconds = 60);

        var (report, allocated) = await MeasureAsync(check);

        report.Results.Should().HaveCount(8).And.OnlyContain(r => !r.Passed && r.Message == TooLarge);
        allocated.Should().BeLessThan(Bound, "eight pods offered 4 MiB each; a check reads at most 64 KiB of one and never copies it into a string");
    }

    [Test]
    public async Task Should_refuse_a_declared_length_over_the_limit_before_reading_the_body()
    {
        var port = await StartPodAsync(Streaming(FourMiB, TimeSpan.FromMilliseconds(20), declareLength: true));
        var check = Http("huge", new HttpCheckSpec { Port = port, Path = "/", ExpectBodyContains = "never" }, c => c.TimeoutSeconds = 60);

        var (report, allocated) = await MeasureAsync(check);

        report.Results.Should().HaveCount(8).And.OnlyContain(r => r.Message == TooLarge);
        allocated.Should().BeLessThan(Bound);
    }

    [Test]
    public async Task Should_end_a_never_ending_chunked_response_at_the_limit_not_at_the_timeout()
    {
        var port = await StartPodAsync(Streaming(null, TimeSpan.Zero));
        var check = Http("endless", new HttpCheckSpec { Port = port, Path = "/", ExpectJson = [new JsonFieldExpectation { Path = "ok", EqualTo = "true" }] }, c => c.TimeoutSeconds = 300);

        var (report, allocated) = await MeasureAsync(check);

        report.Results.Should().HaveCount(8).And.OnlyContain(r => r.Message == TooLarge);
        allocated.Should().BeLessThan(Bound);
    }

    [Test]
    public async Task Should_give_up_on_a_body_that_trickles_in_at_the_checks_timeout()
    {
        var port = await StartPodAsync(async (_, context) =>
        {
            context.Response.StatusCode = 200;
            while (true)
            {
                await context.Response.Body.WriteAsync("{"u8.ToArray(), context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
                await Task.Delay(100, context.RequestAborted);
            }
        });

        var report = await RunAsync(Pods(2), Golden(port, edit: c => c.TimeoutSeconds = 1));

        report.Results.Should().HaveCount(2).And.OnlyContain(r => r.Message == $"timed out after 1 s (127.0.0.1:{port})");
    }

    [TestCase("""{"outputs":[{"name":"output-0","data":[0,""", "inference response is not valid JSON")]
    [TestCase("""{"outputs":{"name":"output-0"}}""", "inference response has no \"outputs\" array")]
    [TestCase("""{"outputs":[{"data":[0]}]}""", "inference response has an output without a name")]
    [TestCase("""{"outputs":[{"name":"output-0","data":["0"]}]}""", "output \"output-0\" holds string data, not numbers or booleans")]
    [TestCase("""{"outputs":[{"name":"output-0","data":[{"a":1}]}]}""", "output \"output-0\" holds object data, not numbers or booleans")]
    [TestCase("""{"outputs":[{"name":"output-0","data":[0]}]} trailing""", "inference response is not valid JSON")]
    [TestCase("""{"outputs":[{"name":"output-0","data":[1e999]}]}""", "output \"output-0\": expected [0], actual [Infinity]")]
    public async Task Should_fail_a_malformed_prediction_with_a_bounded_reason(string body, string reason)
    {
        var port = await StartPodAsync((_, context) => LocalHttpServer.WriteJsonAsync(context, body));

        var report = await RunAsync(Pods(1), Golden(port));

        report.Results.Single().Message.Should().StartWith(reason);
        report.Results.Single().Message!.Length.Should().BeLessThan(600);
    }

    [Test]
    public async Task Should_refuse_json_nested_deeper_than_the_parsers_limit()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);
        var port = await StartPodAsync((_, context) => LocalHttpServer.WriteJsonAsync(context, $$"""{"outputs":[{"name":"output-0","data":{{deep}}}]}"""));
        var metadata = Http("deep", new HttpCheckSpec { Port = port, Path = "/", ExpectJson = [new JsonFieldExpectation { Path = "outputs.0.name", EqualTo = "output-0" }] });

        var report = await RunAsync(Pods(1), Golden(port), metadata);

        report.Results.Select(r => r.Message).Should().SatisfyRespectively(
            golden => golden.Should().StartWith("inference response is not valid JSON"),
            http => http.Should().StartWith("response is not JSON"));
    }

    [Test]
    public async Task Should_not_follow_a_redirect_to_another_address()
    {
        await using var elsewhere = await LocalHttpServer.StartAsync((_, context) => LocalHttpServer.WriteJsonAsync(context, """{"outputs":[{"name":"output-0","data":[0]}]}"""));
        var port = await StartPodAsync((_, context) =>
        {
            context.Response.StatusCode = 307;
            context.Response.Headers.Location = $"http://127.0.0.1:{elsewhere.Port}/v2/models/iris/infer";
            return Task.CompletedTask;
        });

        var report = await RunAsync(Pods(2), Golden(port));

        report.Results.Should().HaveCount(2).And.OnlyContain(r => r.Message == "status 307, expected 200; body: (empty)");
        elsewhere.Received.Should().BeEmpty("a check only ever calls the pod it tests");
    }

    [Test]
    public async Task Should_refuse_response_headers_larger_than_sixteen_kibibytes()
    {
        var port = await StartPodAsync((_, context) =>
        {
            context.Response.Headers["X-Padding"] = new string('x', 32 * 1024);
            return LocalHttpServer.WriteJsonAsync(context, """{"outputs":[{"name":"output-0","data":[0]}]}""");
        });

        var report = await RunAsync(Pods(1), Golden(port));

        report.Results.Single().Passed.Should().BeFalse();
        report.Results.Single().Message.Should().StartWith($"request failed (127.0.0.1:{port})");
    }

    [Test]
    public async Task Should_read_bodies_up_to_a_limit_the_operator_sets()
    {
        var port = await StartPodAsync(Streaming(8 * 1024, TimeSpan.Zero));
        var check = Http("eight-kib", new HttpCheckSpec { Port = port, Path = "/", ExpectBodyContains = "0.4]," });

        var small = await Runner(limits: CheckLimits.From(4 * 1024)).RunAsync(Smoke(Pods(1), check), CancellationToken.None);
        var large = await Runner(limits: CheckLimits.From(16 * 1024)).RunAsync(Smoke(Pods(1), check), CancellationToken.None);

        small.Results.Single().Message.Should().Be("response body is larger than 4 KiB, the limit for check responses");
        large.Passed.Should().BeTrue(large.Summary);
    }
}
