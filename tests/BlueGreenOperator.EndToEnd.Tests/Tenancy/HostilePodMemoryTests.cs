using System.Globalization;
using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests.Tenancy;

/// <summary>
/// The operator's memory while eight real pods answer its smoke tests with 4 MiB bodies, as slowly as the check's
/// timeout allows: the resident set of the operator process before and during, read from /proc.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class HostilePodMemoryTests
{
    const int Pods = 8;
    const int FourMiB = 4 * 1024 * 1024;

    [Test]
    public async Task Should_keep_the_operators_memory_bounded_while_eight_pods_answer_four_mebibytes_slowly()
    {
        await using var rollout = await ModelRollout.StartAsync();
        var pid = rollout.Operator.Pid;

        // A release whose pods answer small wrong predictions warms the operator up (the check code loaded and compiled).
        var (_, warmUpPeak) = await FailHostileReleaseAsync(rollout, "warm-up", pid, bytes: 1024);
        var before = await SettledResidentAsync(pid);
        var (failed, peak) = await FailHostileReleaseAsync(rollout, "hostile", pid, bytes: FourMiB - 1024);

        var during = peak - before;
        await TestContext.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"operator RSS: before {Mib(before)} MiB, peak during the smoke tests of {Pods} hostile pods {Mib(peak)} MiB (+{Mib(during)} MiB); peak of the warm-up release {Mib(warmUpPeak)} MiB"));
        failed.Status!.Conditions.Should().Contain(c => c.Type == "Degraded" && c.Reason == DegradedReasons.SmokeTestsFailed);
        var golden = failed.Status.SmokeTests.Should().ContainSingle(r => r.Name != PodGates.IdentityCheck).Subject;
        golden.FailedPods.Should().Be(Pods);
        golden.Message.Should().Contain("response body is larger than 64 KiB");
        during.Should().BeLessThan(32 * 1024, "KiB: eight bodies of 4 MiB read whole would add hundreds of MiB; a check reads at most 64 KiB of each");
    }

    /// <summary>Creates a release of hostile pods and waits for it to fail its smoke tests, sampling the operator's resident set meanwhile.</summary>
    static async Task<(BlueGreenDeployment Failed, long PeakKib)> FailHostileReleaseAsync(ModelRollout rollout, string name, int pid, int bytes)
    {
        using var sampling = new CancellationTokenSource();
        long peak = Resident(pid);
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                Interlocked.Exchange(ref peak, Math.Max(Interlocked.Read(ref peak), Resident(pid)));
                await Task.Delay(50);
            }
        });
        await TenantObjects.CreateAsync(rollout.Ns, HostilePods.Rollout(name, Pods, pauseSeconds: 0.4, bytes, timeoutSeconds: 30));
        var failed = await TenantObjects.WaitForPhaseAsync(rollout.Ns, name, Phase.Degraded, rollout.Operator);
        await sampling.CancelAsync();
        await sampler;
        return (failed, Interlocked.Read(ref peak));
    }

    static string Mib(long kib) => (kib / 1024.0).ToString("F1", CultureInfo.InvariantCulture);

    /// <summary>The resident set once two readings a second apart agree within 1 MiB (startup and JIT are over).</summary>
    static async Task<long> SettledResidentAsync(int pid)
    {
        var last = Resident(pid);
        for (var i = 0; i < 30; i++)
        {
            await Task.Delay(1000);
            var now = Resident(pid);
            if (Math.Abs(now - last) < 1024)
                return now;
            last = now;
        }

        return last;
    }

    /// <summary>VmRSS of a process, in KiB.</summary>
    static long Resident(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }

        throw new InvalidOperationException($"no VmRSS for process {pid}");
    }
}
