using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Channels;
using BlueGreenOperator.Runtime;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Notifications;

/// <summary>One webhook of the operator's configuration (<c>Operator__Notifications__Webhooks__N__*</c>).</summary>
public sealed class WebhookSettings
{
    /// <summary>A name for logs and metrics; the URL, which often carries a token, is never logged.</summary>
    public string Name { get; set; } = "";

    public string Url { get; set; } = "";

    /// <summary><c>json</c> (the default) or <c>slack</c>.</summary>
    public string Format { get; set; } = WebhookPayloads.Json;

    /// <summary>Only these reasons (e.g. RolledBack, SmokeTestsFailed); empty: all.</summary>
    public List<string> Reasons { get; set; } = [];
}

public sealed class NotificationSettings
{
    public List<WebhookSettings> Webhooks { get; set; } = [];

    /// <summary>Notifications waiting at most; past it the oldest is dropped (and counted).</summary>
    public int QueueLimit { get; set; } = 256;

    /// <summary>Attempts per webhook and notification; 5xx, 429 and network errors are retried with back-off (1 s doubling).</summary>
    public int MaxAttempts { get; set; } = 5;

    public int TimeoutSeconds { get; set; } = 5;

    /// <summary>The webhooks as they can be used, or the problems that make the configuration unusable.</summary>
    public IReadOnlyList<string> Problems() =>
    [
        .. Webhooks.Select((w, i) => (w, i)).SelectMany(p => Problems(p.w, p.i)),
    ];

    static IEnumerable<string> Problems(WebhookSettings webhook, int index)
    {
        var label = webhook.Name.Length > 0 ? webhook.Name : $"#{index}";
        if (!Uri.TryCreate(webhook.Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            yield return $"webhook {label}: url must be an absolute http or https URL";
        if (!WebhookPayloads.Formats.Contains(webhook.Format, StringComparer.OrdinalIgnoreCase))
            yield return $"webhook {label}: format must be one of {string.Join(", ", WebhookPayloads.Formats)}, not '{webhook.Format}'";
    }
}

/// <summary>
/// Delivers notifications to the configured webhooks off the reconcile path: a bounded queue (the oldest is dropped
/// when full), one delivery at a time, each webhook tried up to <see cref="NotificationSettings.MaxAttempts"/> times.
/// At least once per persisted change on the instance that made it; a receiver drops repeats by <c>id</c>.
/// </summary>
public sealed class WebhookNotifier : INotifier, IAsyncDisposable
{
    static readonly Counter<long> Outcomes = OperatorTelemetry.Meter.CreateCounter<long>(
        "bluegreen.notifications", unit: "{notification}", description: "Webhook deliveries by webhook name and outcome: sent, failed (after every attempt) or dropped (queue full).");

    readonly NotificationSettings _settings;
    readonly HttpClient _http;
    readonly ILogger _logger;
    readonly Func<TimeSpan, CancellationToken, Task> _delay;
    readonly Channel<Notification> _queue;
    readonly CancellationTokenSource _stopping = new();
    readonly Task _worker;

    public WebhookNotifier(NotificationSettings settings, HttpClient http, ILogger<WebhookNotifier> logger, Func<TimeSpan, CancellationToken, Task>? delay = null)
    {
        _settings = settings;
        _http = http;
        _logger = logger;
        _delay = delay ?? Task.Delay;
        _queue = Channel.CreateBounded<Notification>(
            new BoundedChannelOptions(Math.Max(1, settings.QueueLimit)) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            dropped => Count("*", "dropped"));
        _worker = _settings.Webhooks.Count == 0 ? Task.CompletedTask : Task.Run(DeliverAsync);
    }

    public void Notify(Notification notification)
    {
        if (_settings.Webhooks.Count == 0)
            return;
        _queue.Writer.TryWrite(notification);
    }

    async Task DeliverAsync()
    {
        try
        {
            await foreach (var notification in _queue.Reader.ReadAllAsync(_stopping.Token))
            {
                foreach (var webhook in _settings.Webhooks.Where(w => w.Reasons.Count == 0 || w.Reasons.Contains(notification.Reason, StringComparer.Ordinal)))
                    await SendAsync(webhook, notification);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    async Task SendAsync(WebhookSettings webhook, Notification notification)
    {
        var body = WebhookPayloads.Render(webhook.Format, notification);
        var attempts = Math.Max(1, _settings.MaxAttempts);
        string? last = null;
        for (var attempt = 1; attempt <= attempts; attempt++)
        {
            var (retry, problem) = await AttemptAsync(webhook, body);
            if (problem is null)
            {
                Count(webhook.Name, "sent");
                _logger.LogInformation("Notification {Reason} for {Namespace}/{Name} sent to webhook {Webhook} (attempt {Attempt})",
                    notification.Reason, notification.Namespace, notification.Name, webhook.Name, attempt);
                return;
            }

            last = problem;
            if (!retry || attempt == attempts)
                break;
            await _delay(TimeSpan.FromSeconds(1 << Math.Min(attempt - 1, 6)), _stopping.Token);
        }

        Count(webhook.Name, "failed");
        _logger.LogWarning("Notification {Reason} for {Namespace}/{Name} not delivered to webhook {Webhook}: {Problem}",
            notification.Reason, notification.Namespace, notification.Name, webhook.Name, last);
    }

    /// <returns>Whether a failure is worth another attempt, and what failed (null: delivered).</returns>
    async Task<(bool Retry, string? Problem)> AttemptAsync(WebhookSettings webhook, string body)
    {
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        attempt.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, _settings.TimeoutSeconds)));
        try
        {
            using var content = new StringContent(body, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            using var response = await _http.PostAsync(webhook.Url, content, attempt.Token);
            var code = (int)response.StatusCode;
            return code is >= 200 and < 300 ? (false, null) : (code is 429 or >= 500, $"HTTP {code}");
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            return (true, $"no answer within {_settings.TimeoutSeconds} s");
        }
        catch (HttpRequestException e)
        {
            // The message names the host at most, never the URL's path or query (where tokens live).
            return (true, e.HttpRequestError.ToString());
        }
    }

    static void Count(string webhook, string outcome) =>
        Outcomes.Add(1, new KeyValuePair<string, object?>("webhook", webhook), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>Delivers what is queued for up to 5 s, then stops.</summary>
    public async ValueTask DisposeAsync() => await StopAsync(TimeSpan.FromSeconds(5));

    public async Task StopAsync(TimeSpan drain)
    {
        _queue.Writer.TryComplete();
        if (await Task.WhenAny(_worker, Task.Delay(drain)) != _worker)
            await _stopping.CancelAsync();
        await _worker.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }
}
