using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.LocalCluster.Testing;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>
/// Evaluation Jobs (rows J of docs/design.md) while the world disturbs them: a Job deleted by hand mid-run is made
/// again, and an operator killed while the Job runs finds the same Job when it comes back instead of starting another.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class EvaluationJobTests
{
    const string Check = "slow-evaluation";

    static IKubernetes Client => EndToEndCluster.Client;

    [Test]
    public async Task J4_J2_Should_make_a_Job_deleted_by_hand_again_and_find_it_again_after_the_operator_was_killed_mid_run()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");

        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", edit: s => s.SmokeTests.Add(SlowEvaluation())));
        var first = await rollout.WaitForValueAsync(() => JobAsync(rollout.Ns, exceptUid: null), "the evaluation Job");
        await Client.BatchV1.DeleteNamespacedJobAsync(first.Metadata.Name, rollout.Ns, propagationPolicy: "Background");
        var second = await rollout.WaitForValueAsync(() => JobAsync(rollout.Ns, exceptUid: first.Metadata.Uid), "the evaluation Job made again");
        second.Metadata.Name.Should().Be(first.Metadata.Name, "the Job's name comes from the run, not from an attempt");
        (await rollout.ServedModelVersionsAsync()).Should().OnlyContain(v => v == "v1", "v2 takes no traffic before its Job passed");

        await rollout.Operator.KillAsync();
        rollout.Operator = await OperatorProcess.StartAsync(rollout.Ns);
        var switched = await rollout.WaitForPhaseAsync(Phase.Stabilizing, modelVersion: "v2");

        var result = switched.Status!.SmokeTests.Should().ContainSingle(r => r.Name == Check).Subject;
        result.Passed.Should().BeTrue();
        result.Message.Should().StartWith($"evaluated 3 pods (Job {second.Metadata.Name} succeeded");
        var jobs = await Client.BatchV1.ListNamespacedJobAsync(rollout.Ns);
        jobs.Items.Should().ContainSingle("the restarted operator read the Job it found instead of making a third")
            .Which.Metadata.Uid.Should().Be(second.Metadata.Uid);
        await TestContext.Out.WriteLineAsync($"Evaluation Job {second.Metadata.Name}: {result.Message}; the check took {result.LatencyMs} ms after the restart");
        await rollout.AssertInvariantsHeldAsync();
    }

    /// <summary>The evaluation Job of this object whose uid is not <paramref name="exceptUid"/>, once it exists.</summary>
    static async Task<V1Job?> JobAsync(string ns, string? exceptUid)
    {
        var jobs = await Client.BatchV1.ListNamespacedJobAsync(ns, labelSelector: $"{JobCheck.CheckLabel}={Check}");
        return jobs.Items.FirstOrDefault(j => j.Metadata.Uid != exceptUid && j.Metadata.DeletionTimestamp is null);
    }

    /// <summary>A Job that takes a while and then reports how many pods it was given.</summary>
    static CheckSpec SlowEvaluation() => ModelRollout.ScriptJob(
        Check,
        "sleep 8; echo \"evaluated $(echo \"$BLUEGREEN_TARGET_PODS\" | tr ',' '\\n' | wc -l) pods\" > \"$BLUEGREEN_TERMINATION_MESSAGE_PATH\"");
}
