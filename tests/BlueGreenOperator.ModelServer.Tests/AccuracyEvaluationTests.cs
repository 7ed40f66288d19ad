using System.Diagnostics;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.ModelServer.Tests;

/// <summary>
/// The <c>evaluate-accuracy</c> command, run as an evaluation Job runs it: a process with the operator's environment,
/// against real model servers; its termination message and exit code are what the job check reads.
/// </summary>
[TestFixture]
public sealed class AccuracyEvaluationTests
{
    [Test]
    public async Task Should_pass_a_good_model_on_every_pod_and_write_its_accuracy_as_the_termination_message()
    {
        await using var first = await ModelServerProcess.StartAsync(new Dictionary<string, string> { ["MODEL_VERSION"] = "v2" });
        await using var second = await ModelServerProcess.StartAsync(new Dictionary<string, string> { ["MODEL_VERSION"] = "v1" });

        var (exitCode, message) = await EvaluateAsync($"127.0.0.1:{first.Port},127.0.0.1:{second.Port}");

        exitCode.Should().Be(0);
        message.Should().MatchRegex(@"^accuracy 0\.99 on 150 flowers \(min 0\.9\) at 127\.0\.0\.1:\d+, the lowest of 2 pods$");
    }

    [Test]
    public async Task Should_fail_when_one_pod_predicts_wrong_and_name_that_pod()
    {
        await using var good = await ModelServerProcess.StartAsync(new Dictionary<string, string> { ["MODEL_VERSION"] = "v2" });
        await using var broken = await ModelServerProcess.StartAsync(new Dictionary<string, string> { ["MODEL_VERSION"] = "v2", ["WRONG_PREDICTIONS"] = "true" });

        var (exitCode, message) = await EvaluateAsync($"127.0.0.1:{good.Port},127.0.0.1:{broken.Port}");

        exitCode.Should().Be(1);
        message.Should().Be($"accuracy 0.01 on 150 flowers (min 0.9) at 127.0.0.1:{broken.Port}, the lowest of 2 pods");
    }

    [Test]
    public async Task Should_fail_with_a_reason_when_there_is_nothing_to_evaluate()
    {
        var (exitCode, message) = await EvaluateAsync("");

        exitCode.Should().Be(1);
        message.Should().Be("no address to evaluate: BLUEGREEN_TARGET_PODS and BLUEGREEN_PREVIEW_URL are empty");
    }

    private static async Task<(int ExitCode, string Message)> EvaluateAsync(string targets)
    {
        var messageFile = Path.GetTempFileName();
        try
        {
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true };
            foreach (var argument in new[] { ModelServerProcess.AssemblyPath, "evaluate-accuracy", "--min", "0.9" })
            {
                start.ArgumentList.Add(argument);
            }

            start.Environment["BLUEGREEN_TARGET_PODS"] = targets;
            start.Environment.Remove("BLUEGREEN_PREVIEW_URL");
            start.Environment["BLUEGREEN_TERMINATION_MESSAGE_PATH"] = messageFile;
            using var process = Process.Start(start)!;
            await process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            return (process.ExitCode, await File.ReadAllTextAsync(messageFile));
        }
        finally
        {
            File.Delete(messageFile);
        }
    }
}
