using System.Text.Json.Nodes;
using BlueGreenOperator.Api;
using BlueGreenOperator.Notifications;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Notifications;

public sealed class NotificationTests
{
    static readonly DateTimeOffset Now = new(2026, 12, 2, 1, 0, 0, TimeSpan.Zero);

    static BlueGreenDeployment Resource() => new()
    {
        Metadata = new V1ObjectMeta { Name = "iris", NamespaceProperty = "ml", Uid = "u-1", Generation = 4 },
        Spec = new BlueGreenDeploymentSpec { Model = new ModelSpec { Name = "iris", Version = "v2" } },
    };

    static BlueGreenDeploymentStatus Status(string phase, string? degradedReason = null)
    {
        var status = new BlueGreenDeploymentStatus
        {
            Phase = phase,
            Message = $"message of {phase}",
            PreviewRevision = "r2",
            PreviewModelVersion = "v2",
            ActiveRevision = "r1",
            ActiveModelVersion = "v1",
            ActiveColor = "blue",
            Conditions = [],
        };
        if (degradedReason is not null)
            StatusConditions.Set(status.Conditions, StatusConditions.Degraded, true, degradedReason, "failed", 4, Now.UtcDateTime);
        return status;
    }

    [TestCase(Phase.Paused, null, Notification.PausedForPromotion)]
    [TestCase(Phase.RolledBack, null, Notification.RolledBack)]
    [TestCase(Phase.Degraded, "SmokeTestsFailed", "SmokeTestsFailed")]
    [TestCase(Phase.Degraded, "ProgressDeadlineExceeded", "ProgressDeadlineExceeded")]
    public void Should_notify_when_a_release_enters_a_phase_that_needs_a_person(string phase, string? degraded, string reason)
    {
        var found = Notification.For(Resource(), Phase.Testing, Status(phase, degraded), [], Now);

        found.Should().ContainSingle().Which.Should().Match<Notification>(n =>
            n.Reason == reason && n.Phase == phase && n.PreviousPhase == Phase.Testing && n.Namespace == "ml" && n.Name == "iris"
            && n.Message == $"message of {phase}" && n.Revision == "r2" && n.ModelVersion == "v2" && n.ActiveModelVersion == "v1");
    }

    [TestCase(Phase.Paused)]
    [TestCase(Phase.Progressing)]
    [TestCase(Phase.Healthy)]
    [TestCase(Phase.Stabilizing)]
    public void Should_not_notify_a_phase_kept_or_one_that_needs_nobody(string phase)
    {
        var kept = phase == Phase.Paused ? Phase.Paused : Phase.Testing;

        Notification.For(Resource(), kept, Status(phase), [], Now).Should().BeEmpty();
    }

    [Test]
    public void Should_notify_insufficient_capacity_from_its_once_per_episode_event()
    {
        var events = new[] { new RolloutEvent(EventKind.Warning, Notification.InsufficientCapacity, "0/1 nodes are available: 1 Insufficient nvidia.com/gpu."), new RolloutEvent(EventKind.Normal, "Other", "x") };

        var found = Notification.For(Resource(), Phase.Progressing, Status(Phase.Progressing), events, Now);

        found.Should().ContainSingle().Which.Message.Should().Contain("Insufficient nvidia.com/gpu");
    }

    [Test]
    public void Should_give_one_change_the_same_id_each_time_it_is_seen()
    {
        var first = Notification.For(Resource(), Phase.Testing, Status(Phase.Paused), [], Now).Single();
        var again = Notification.For(Resource(), Phase.Promoting, Status(Phase.Paused), [], Now.AddMinutes(1)).Single();

        again.Id.Should().Be(first.Id);
    }

    [Test]
    public void Should_render_a_generic_json_document_and_a_slack_message()
    {
        var n = Notification.For(Resource(), Phase.Stabilizing, Status(Phase.RolledBack), [], Now).Single() with { Message = "latency <150 ms & more" };

        var json = JsonNode.Parse(WebhookPayloads.Render("json", n))!;
        var slack = JsonNode.Parse(WebhookPayloads.Render("slack", n))!;

        ((string?)json["reason"]).Should().Be("RolledBack");
        ((string?)json["kind"]).Should().Be("BlueGreenDeployment");
        ((string?)json["time"]).Should().Be("2026-12-02T01:00:00.0000000Z");
        ((string?)slack["text"]).Should().StartWith(":warning: BlueGreenDeployment ml/iris: rolled back\nlatency <150 ms & more");
        ((string?)slack["blocks"]![0]!["text"]!["text"]).Should().Contain("latency &lt;150 ms &amp; more");
    }

    [Test]
    public void Should_refuse_a_webhook_without_an_http_url_or_with_an_unknown_format()
    {
        var settings = new NotificationSettings
        {
            Webhooks = [new WebhookSettings { Name = "a", Url = "ftp://x" }, new WebhookSettings { Name = "b", Url = "https://hooks.example/x", Format = "teams" }],
        };

        settings.Problems().Should().Equal(
            "webhook a: url must be an absolute http or https URL",
            "webhook b: format must be one of json, slack, not 'teams'");
    }

    [Test]
    public async Task Should_deliver_to_every_matching_webhook_retrying_server_errors_and_not_client_errors()
    {
        using var generic = new WebhookReceiver(503, 500);
        using var slack = new WebhookReceiver();
        using var refusing = new WebhookReceiver(400);
        using var rollbacksOnly = new WebhookReceiver();
        var delays = new List<TimeSpan>();
        var notifier = new WebhookNotifier(
            new NotificationSettings
            {
                Webhooks =
                [
                    new WebhookSettings { Name = "generic", Url = generic.Url },
                    new WebhookSettings { Name = "slack", Url = slack.Url, Format = "slack" },
                    new WebhookSettings { Name = "refusing", Url = refusing.Url },
                    new WebhookSettings { Name = "rollbacks", Url = rollbacksOnly.Url, Reasons = [Notification.RolledBack] },
                ],
            },
            new HttpClient(),
            NullLogger<WebhookNotifier>.Instance,
            (delay, _) =>
            {
                delays.Add(delay);
                return Task.CompletedTask;
            });

        notifier.Notify(Notification.For(Resource(), Phase.Testing, Status(Phase.Paused), [], Now).Single());
        await notifier.StopAsync(TimeSpan.FromSeconds(30));

        generic.Requests.Should().Be(3, "two server errors, then delivered");
        generic.Received.Should().ContainSingle().Which.ContentType.Should().Be("application/json; charset=utf-8");
        ((string?)JsonNode.Parse(generic.Received.Single().Body)!["reason"]).Should().Be(Notification.PausedForPromotion);
        delays.Should().Equal(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
        ((string?)JsonNode.Parse(slack.Received.Single().Body)!["text"]).Should().Contain("paused, waiting for the promote action");
        refusing.Requests.Should().Be(1, "a client error is not retried");
        rollbacksOnly.Requests.Should().Be(0, "that webhook asked for rollbacks only");
    }

    [Test]
    public async Task Should_give_up_after_the_attempts_allowed()
    {
        using var down = new WebhookReceiver(500, 500, 500, 500);
        var notifier = new WebhookNotifier(
            new NotificationSettings { MaxAttempts = 3, Webhooks = [new WebhookSettings { Name = "down", Url = down.Url }] },
            new HttpClient(), NullLogger<WebhookNotifier>.Instance, (_, _) => Task.CompletedTask);

        notifier.Notify(Notification.For(Resource(), Phase.Testing, Status(Phase.Paused), [], Now).Single());
        await notifier.StopAsync(TimeSpan.FromSeconds(30));

        down.Requests.Should().Be(3);
        down.Received.Should().BeEmpty();
    }
}
