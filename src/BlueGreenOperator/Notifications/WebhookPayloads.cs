using System.Text.Json.Nodes;

namespace BlueGreenOperator.Notifications;

/// <summary>The bodies a webhook receives: a generic JSON document, or a Slack incoming-webhook message.</summary>
public static class WebhookPayloads
{
    public const string Json = "json";
    public const string Slack = "slack";

    public static IReadOnlyList<string> Formats { get; } = [Json, Slack];

    public static string Render(string format, Notification n) =>
        (format.Equals(Slack, StringComparison.OrdinalIgnoreCase) ? SlackMessage(n) : Generic(n)).ToJsonString();

    static JsonObject Generic(Notification n) => new()
    {
        ["id"] = n.Id,
        ["time"] = n.Time.UtcDateTime.ToString("O"),
        ["kind"] = "BlueGreenDeployment",
        ["namespace"] = n.Namespace,
        ["name"] = n.Name,
        ["reason"] = n.Reason,
        ["phase"] = n.Phase,
        ["previousPhase"] = n.PreviousPhase,
        ["message"] = n.Message,
        ["revision"] = n.Revision,
        ["modelVersion"] = n.ModelVersion,
        ["activeColor"] = n.ActiveColor,
        ["activeModelVersion"] = n.ActiveModelVersion,
    };

    /// <summary>Slack's <c>text</c> (also shown in notifications) and one section block with the same words in mrkdwn.</summary>
    static JsonObject SlackMessage(Notification n)
    {
        var headline = $"{Emoji(n.Reason)} BlueGreenDeployment {n.Namespace}/{n.Name}: {Describe(n.Reason)}";
        var serving = n.ActiveModelVersion is null ? "nothing serves yet" : $"serving model {n.ActiveModelVersion} from {n.ActiveColor}";
        var text = $"{headline}\n{n.Message}\n(phase {n.Phase}, release model {n.ModelVersion}, revision {n.Revision}; {serving})";
        return new JsonObject
        {
            ["text"] = text,
            ["blocks"] = new JsonArray(new JsonObject
            {
                ["type"] = "section",
                ["text"] = new JsonObject { ["type"] = "mrkdwn", ["text"] = $"*{Escape(headline)}*\n{Escape(n.Message)}\n_phase {Escape(n.Phase)} · release model {Escape(n.ModelVersion)} · {Escape(serving)}_" },
            }),
        };
    }

    static string Describe(string reason) => reason switch
    {
        Notification.PausedForPromotion => "paused, waiting for the promote action",
        Notification.RolledBack => "rolled back",
        Notification.InsufficientCapacity => "pods of the release cannot be scheduled",
        _ => $"degraded ({reason})",
    };

    static string Emoji(string reason) => reason switch
    {
        Notification.PausedForPromotion => ":pause_button:",
        Notification.InsufficientCapacity => ":hourglass:",
        _ => ":warning:",
    };

    // Slack's mrkdwn control characters.
    static string Escape(string? text) => (text ?? "").Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
