using BlueGreenOperator.Api;
using BlueGreenOperator.LocalCluster.Testing;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>
/// The manifests of examples/iris/, applied unchanged with kubectl as examples/iris/README.md says, reach the phases
/// that README names.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class IrisExampleTests
{
    const string V1 = "iris-v1.yaml";
    const string V2 = "iris-v2.yaml";
    const string V2ManualPromotion = "iris-v2-manual-promotion.yaml";
    const string V3Broken = "iris-v3-broken.yaml";
    const string V2SlowRollback = "iris-v2-slow-rollback.yaml";
    const string V2EvaluationJob = "iris-v2-evaluation-job.yaml";
    const string V3BrokenEvaluationJob = "iris-v3-broken-evaluation-job.yaml";
    const string ReplayData = "iris-replay.yaml";
    const string V3SwappedLabels = "iris-v3-swapped-labels.yaml";
    const string V2SlowReplay = "iris-v2-slow-replay.yaml";

    [Test]
    public void Should_cover_every_manifest_under_examples_iris()
    {
        Directory.EnumerateFiles(SourceTree.PathOf("examples/iris"), "*.yaml").Select(f => Path.GetFileName(f))
            .Should().BeEquivalentTo([V1, V2, V2ManualPromotion, V3Broken, V2SlowRollback, V2EvaluationJob, V3BrokenEvaluationJob, ReplayData, V3SwappedLabels, V2SlowReplay], "each example needs a test that applies it");
    }

    [Test]
    public async Task Should_release_v1_stabilize_v2_reject_v3_and_roll_back_the_slow_v2()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch("v3", "v2-slow-replay");

        await ApplyAsync(rollout, ReplayData);
        await ApplyAsync(rollout, V1);
        await ReachAsync(rollout, Phase.Healthy, "v1");
        (await ServedReleasesAsync(rollout)).Should().HaveCount(3).And.OnlyContain(v => v == "v1");

        await ApplyAsync(rollout, V2);
        var switched = await ReachAsync(rollout, Phase.Stabilizing, "v2");
        (await ServedReleasesAsync(rollout)).Should().OnlyContain(v => v == "v2");
        // v1 and v2 disagree on two flowers (rows 71 and 134) and are each right on 148 of 150: within the bounds.
        var passed = Report(switched, "v2 against v1");
        passed.Should().BeEquivalentTo(new { Passed = true, Requests = 150, Compared = 150, Disagreements = 2, Labelled = 150, Accuracy = 0.9867, ServingAccuracy = 0.9867, ErrorRate = 0.0 },
            o => o.ExcludingMissingMembers());
        passed.ServingRevision.Should().Be(switched.Status!.StandbyRevision);
        passed.FirstDisagreements.Should().Contain(d => d.StartsWith("line 71: new output-0 [1]", StringComparison.Ordinal));
        await ReachAsync(rollout, Phase.Healthy, "v2");

        await ApplyAsync(rollout, V3Broken);
        var rejected = await ReachAsync(rollout, Phase.Degraded);
        rejected.Status!.AbortedRevision.Should().NotBeNull();
        rejected.Status.ActiveModelVersion.Should().Be("v2");
        rejected.Status.SmokeTests.Should().Contain(r => r.Name == "golden" && !r.Passed);
        (await ServedReleasesAsync(rollout)).Should().HaveCount(3).And.OnlyContain(v => v == "v2", "a rejected release takes no traffic");

        // Swapped labels pass every smoke test (setosa is right) and are stopped by the replay against v2.
        await ApplyAsync(rollout, V3SwappedLabels);
        var swapped = await ReachAsync(rollout, Phase.Degraded);
        swapped.Status!.AbortedReason.Should().Be(DegradedReasons.ParityFailed, swapped.Status.Message);
        swapped.Status.SmokeTests.Should().OnlyContain(r => r.Passed);
        var wrong = Report(swapped, "v3 with swapped labels against v2");
        wrong.Passed.Should().BeFalse();
        wrong.Agreement.Should().BeLessThan(0.5);
        wrong.Message.Should().StartWith("agreement ").And.Contain("< 95 % on 150 requests");
        swapped.Status.Message.Should().Contain(wrong.Message!);
        (await ServedReleasesAsync(rollout)).Should().HaveCount(3).And.OnlyContain(v => v == "v2", "a release stopped by its replay takes no traffic");

        // Right but slow: stopped by the p95 latency ratio.
        await ApplyAsync(rollout, V2SlowReplay);
        var slow = await ReachAsync(rollout, Phase.Degraded);
        slow.Status!.AbortedReason.Should().Be(DegradedReasons.ParityFailed, slow.Status.Message);
        var late = Report(slow, "v2 with 400 ms added against v2");
        late.Passed.Should().BeFalse();
        late.Agreement.Should().Be(1);
        late.LatencyRatio.Should().BeGreaterThan(3);
        late.Message.Should().StartWith("p95 latency ");
        (await ServedReleasesAsync(rollout)).Should().HaveCount(3).And.OnlyContain(v => v == "v2", "a release stopped by its replay takes no traffic");

        await ApplyAsync(rollout, V2SlowRollback);
        await rollout.WaitForAsync(s => s.ActiveModelVersion == "v2-slow", "the switch to the slow v2");
        var rolledBack = await ReachAsync(rollout, Phase.RolledBack, "v2");
        rolledBack.Status!.AbortedRevision.Should().NotBeNull();
        (await ServedReleasesAsync(rollout)).Should().OnlyContain(v => v == "v2", "the rollback restores the previous version");
        await rollout.WaitForEventsAsync("SmokeTestsFailed", "ParityPassed", DegradedReasons.ParityFailed, "AnalysisFailed", "RolledBack");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_pause_the_manual_promotion_example_until_it_is_promoted_with_kubectl()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();
        await ApplyAsync(rollout, V1);
        await ReachAsync(rollout, Phase.Healthy, "v1");

        await ApplyAsync(rollout, V2ManualPromotion);
        var paused = await ReachAsync(rollout, Phase.Paused);
        paused.Status!.ActiveModelVersion.Should().Be("v1");
        paused.Status.PreviewModelVersion.Should().Be("v2");
        (await ServedReleasesAsync(rollout)).Should().OnlyContain(v => v == "v1", "a paused release takes no traffic");

        await Kubectl.RunCheckedAsync("annotate", "--namespace", rollout.Ns, "bgd", "iris", $"{WellKnown.ActionAnnotation}={RolloutAction.Promote}");
        await ReachAsync(rollout, Phase.Stabilizing, "v2");
        (await ServedReleasesAsync(rollout)).Should().HaveCount(3).And.OnlyContain(v => v == "v2");
        await rollout.AssertInvariantsHeldAsync();
    }

    [Test]
    public async Task Should_pass_v2_through_the_evaluation_Job_and_stop_the_broken_v3_with_the_Jobs_accuracy_before_it_takes_traffic()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch("v3");
        await ApplyAsync(rollout, V1);
        await ReachAsync(rollout, Phase.Healthy, "v1");

        await ApplyAsync(rollout, V2EvaluationJob);
        var switched = await ReachAsync(rollout, Phase.Stabilizing, "v2");
        var passed = switched.Status!.SmokeTests.Should().ContainSingle(r => r.Name == "accuracy").Subject;
        passed.Passed.Should().BeTrue();
        passed.Message.Should().MatchRegex(@"^accuracy 0\.9\d on 150 flowers \(min 0\.9\) at .+, the lowest of 3 pods \(Job iris-accuracy-[0-9a-f]{10} succeeded in \d+ s\)$");
        await TestContext.Out.WriteLineAsync($"v2 evaluation Job: {passed.Message}; the check took {passed.LatencyMs} ms");
        (await ServedReleasesAsync(rollout)).Should().OnlyContain(v => v == "v2");
        await ReachAsync(rollout, Phase.Healthy, "v2");

        await ApplyAsync(rollout, V3BrokenEvaluationJob);
        var rejected = await ReachAsync(rollout, Phase.Degraded);
        rejected.Status!.ActiveModelVersion.Should().Be("v2");
        var failed = rejected.Status.SmokeTests.Should().ContainSingle(r => r.Name == "accuracy").Subject;
        failed.Passed.Should().BeFalse();
        failed.Message.Should().MatchRegex(@"^accuracy 0\.\d\d on 150 flowers \(min 0\.9\).* \(Job iris-accuracy-[0-9a-f]{10} failed: BackoffLimitExceeded, exit code 1\)$");
        await TestContext.Out.WriteLineAsync($"v3 evaluation Job: {failed.Message}; the check took {failed.LatencyMs} ms");
        rejected.Status.SmokeTests.Should().Contain(r => r.Name == "ready" && r.Passed, "only the Job tells this release apart");
        (await ServedReleasesAsync(rollout)).Should().HaveCount(3).And.OnlyContain(v => v == "v2", "a release the Job rejected takes no traffic");

        var jobs = await ModelRollout.Client.BatchV1.ListNamespacedJobAsync(rollout.Ns);
        jobs.Items.Should().HaveCount(2, "one Job per release that ran one")
            .And.OnlyContain(j => j.Metadata.OwnerReferences.Single().Uid == rejected.Metadata.Uid && j.Metadata.OwnerReferences.Single().Kind == WellKnown.Kind);
        await rollout.AssertInvariantsHeldAsync();
    }

    /// <summary>Waits for the phase, or fails as soon as the rollout ends somewhere else, with the operator's reason.</summary>
    static async Task<BlueGreenDeployment> ReachAsync(ModelRollout rollout, string phase, string? activeModelVersion = null)
    {
        var settled = await rollout.WaitForAsync(
            s => s.Phase == phase ? activeModelVersion is null || s.ActiveModelVersion == activeModelVersion : s.Phase is Phase.Degraded or Phase.RolledBack,
            $"phase {phase}{(activeModelVersion is null ? "" : " serving " + activeModelVersion)}");
        settled.Status!.Phase.Should().Be(phase, "examples/iris/README.md says so; the operator reports: {0}", settled.Status.Message);
        return settled;
    }

    /// <summary>The release's parity report, printed for the reader of the test log.</summary>
    static ParityStatus Report(BlueGreenDeployment resource, string what)
    {
        var parity = resource.Status!.Parity;
        parity.Should().NotBeNull("a release with spec.replay reports its replay");
        TestContext.Progress.WriteLine($"parity report, {what}: {k8s.KubernetesJson.Serialize(parity)}");
        return parity!;
    }

    static Task ApplyAsync(ModelRollout rollout, string example) =>
        Kubectl.RunCheckedAsync("apply", "--namespace", rollout.Ns, "-f", SourceTree.PathOf($"examples/iris/{example}"));

    /// <summary>The release (model version label) of every pod behind the active Service's Endpoints.</summary>
    static async Task<IReadOnlyList<string>> ServedReleasesAsync(ModelRollout rollout)
    {
        var addresses = await ModelRollout.Client.ReadyEndpointAddressesAsync(rollout.Ns, ModelRollout.ServiceName);
        var pods = await ModelRollout.Client.ListPodsAsync(rollout.Ns);
        return addresses.Select(a => pods.Single(p => p.Status?.PodIP == a).Metadata.Labels[WellKnown.ModelVersionLabel]).ToList();
    }
}
