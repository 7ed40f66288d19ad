using System.Text.Json.Nodes;
using BlueGreenOperator.LocalCluster;
using BlueGreenOperator.LocalCluster.Testing;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Tests.Notifications;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>
/// The running operator posts to webhooks of its own configuration (a real HTTP receiver on loopback) when a release
/// needs a person: paused for promotion, then aborted; a webhook limited to rollbacks hears nothing of either.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class NotificationTests
{
    [Test]
    public async Task Should_post_the_pause_and_the_abort_of_a_release_to_the_operators_webhooks()
    {
        using var everything = new WebhookReceiver();
        using var slack = new WebhookReceiver();
        using var rollbacksOnly = new WebhookReceiver();
        await using var rollout = await ModelRollout.StartAsync(startOperator: false);
        rollout.Operator = await OperatorProcess.StartAsync(rollout.Ns, environment: new Dictionary<string, string>
        {
            ["Operator__Notifications__Webhooks__0__Name"] = "everything",
            ["Operator__Notifications__Webhooks__0__Url"] = everything.Url,
            ["Operator__Notifications__Webhooks__1__Name"] = "slack",
            ["Operator__Notifications__Webhooks__1__Format"] = "slack",
            ["Operator__Notifications__Webhooks__1__Url"] = slack.Url,
            ["Operator__Notifications__Webhooks__2__Name"] = "rollbacks",
            ["Operator__Notifications__Webhooks__2__Url"] = rollbacksOnly.Url,
            ["Operator__Notifications__Webhooks__2__Reasons__0"] = "RolledBack",
        });
        rollout.Watch("v2");
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
        everything.Received.Should().BeEmpty("a healthy first release needs nobody");

        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", edit: s => s.Strategy.AutoPromote = false));
        await rollout.WaitForPhaseAsync(Phase.Paused);
        var paused = await ReceivedAsync(everything, 1);
        ((string?)paused[0]["reason"]).Should().Be("PausedForPromotion");
        ((string?)paused[0]["namespace"]).Should().Be(rollout.Ns);
        ((string?)paused[0]["modelVersion"]).Should().Be("v2");
        ((string?)paused[0]["activeModelVersion"]).Should().Be("v1");

        await rollout.ActAsync(RolloutAction.Abort);
        await rollout.WaitForPhaseAsync(Phase.Degraded);
        var both = await ReceivedAsync(everything, 2);
        ((string?)both[1]["reason"]).Should().Be("Aborted");
        ((string?)both[1]["previousPhase"]).Should().Be(Phase.Paused);
        var slackMessages = await ReceivedAsync(slack, 2);
        ((string?)slackMessages[1]["text"]).Should().Contain($"BlueGreenDeployment {rollout.Ns}/iris: degraded (Aborted)");
        rollbacksOnly.Requests.Should().Be(0, "that webhook asked for rollbacks only");
        rollout.Operator.Log.Should().NotContain(everything.Url, "a webhook URL is never logged");
        await rollout.AssertInvariantsHeldAsync();
    }

    static async Task<IReadOnlyList<JsonNode>> ReceivedAsync(WebhookReceiver receiver, int count)
    {
        await Eventually.UntilAsync(_ => Task.FromResult(receiver.Received.Count >= count), TimeSpan.FromSeconds(30), $"{count} notification(s)");
        return [.. receiver.Received.Select(r => JsonNode.Parse(r.Body)!)];
    }
}
