using System.Globalization;
using System.Net;
using System.Text;
using OpenTelemetry.Metrics;

namespace BlueGreenOperator.Hosting;

/// <summary>
/// Where the operator's HTTP endpoints listen: an <c>http://</c> URL with a host (an address, a name, or <c>0.0.0.0</c>,
/// <c>*</c>, <c>+</c> for every IPv4 address) and a port. The operator serves <c>/healthz</c>, <c>/readyz</c>
/// and <c>/metrics</c> there and nothing else.
/// </summary>
internal sealed record ListenAddress(string Host, int Port)
{
    public const string Default = "http://0.0.0.0:8080";

    /// <summary>The address of <paramref name="url"/>, or why it is not one.</summary>
    public static ListenAddress Parse(string url)
    {
        const string Scheme = "http://";
        var text = url.Trim().TrimEnd('/');
        if (!text.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new FormatException($"'{url}': the operator serves plain http, such as {Default}");
        }

        var hostAndPort = text[Scheme.Length..];
        var colon = hostAndPort.LastIndexOf(':');
        if (colon <= 0 || hostAndPort.EndsWith(']')
            || !int.TryParse(hostAndPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new FormatException($"'{url}': name a host and a port from 1 to 65535, such as {Default}");
        }

        var host = hostAndPort[..colon];
        if (host.IndexOfAny(['/', '?', '#', '@', ' ']) >= 0)
        {
            throw new FormatException($"'{url}': a listen URL has a host and a port only, such as {Default}");
        }

        return new ListenAddress(host is "0.0.0.0" or "*" or "+" ? "+" : host, port);
    }

    /// <summary>The <see cref="HttpListener"/> prefix of <paramref name="path"/> at this address.</summary>
    public string Prefix(string path) =>
        string.Create(CultureInfo.InvariantCulture, $"http://{Host}:{Port}/{path.Trim('/')}/");

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"http://{Host}:{Port}");
}

internal static class MetricsEndpoint
{
    /// <summary>Serves the meters' Prometheus text at <c>/metrics</c> of <paramref name="address"/>, beside the probes.</summary>
    public static MeterProviderBuilder AddPrometheusEndpoint(this MeterProviderBuilder metrics, ListenAddress address) =>
        metrics.AddPrometheusHttpListener(options => options.ConfigureHttpListener = (_, listener) =>
        {
            // The exporter's own default address (localhost:9464) gives way to the operator's.
            listener.Prefixes.Clear();
            listener.Prefixes.Add(address.Prefix("metrics"));
        });
}

/// <summary>
/// Serves <c>/healthz</c> and <c>/readyz</c> on a <see cref="HttpListener"/>; <c>/metrics</c> is the Prometheus
/// exporter's own listener on the same address (one process shares the port between them). No web framework: an
/// operator answers three probes and loads nothing more for them (docs/scale.md, "Runtime settings").
/// </summary>
internal sealed class ProbeServer(ListenAddress address, OperatorHealth health, ILogger<ProbeServer> logger, Action<HttpListener>? start = null) : BackgroundService
{
    private HttpListener? listener;

    /// <summary>
    /// Takes the port; call it before the metrics exporter starts its listener, which then joins this one's socket (and
    /// so cannot lose the runtime's start race, see <see cref="ListenerStart"/>).
    /// </summary>
    public void Listen()
    {
        if (listener is not null)
            return;
        try
        {
            listener = ListenerStart.Start(
                [address.Prefix("healthz"), address.Prefix("readyz")],
                (attempt, e) => logger.LogWarning(
                    "A connection arrived while {Address} was opening ({Error}); opening it again, attempt {Attempt} of {Attempts}", address, e.Message, attempt, ListenerStart.Attempts),
                start);
        }
        catch (Exception e) when (e is HttpListenerException or ListenerRaceException)
        {
            throw new InvalidOperationException($"cannot listen on {address}: {e.Message}", e);
        }

        logger.LogInformation("Serving /healthz, /readyz and /metrics on {Address}", address);
    }

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        Listen();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listener = this.listener!;
        using var stop = stoppingToken.Register(listener.Stop);
        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException && stoppingToken.IsCancellationRequested)
            {
                return;
            }

            Answer(context);
        }
    }

    /// <summary>Writes the probe's answer: 200 or 503 with its lines; 404 for any other path, 405 for a method but GET or HEAD.</summary>
    private void Answer(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var (status, body) = Respond(context.Request.HttpMethod, context.Request.Url?.AbsolutePath ?? "");
            var bytes = Encoding.UTF8.GetBytes(body);
            response.StatusCode = status;
            response.ContentType = "text/plain; charset=utf-8";
            response.ContentLength64 = bytes.Length;
            if (context.Request.HttpMethod != "HEAD")
            {
                response.OutputStream.Write(bytes);
            }
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            logger.LogDebug("A probe's caller left before its answer: {Error}", e.Message);
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
            {
                // The connection is gone; nothing to close.
            }
        }
    }

    /// <summary>The status and body for a request: the probe's answer, or why there is none.</summary>
    internal (int Status, string Body) Respond(string method, string path)
    {
        var answer = path.TrimEnd('/') switch
        {
            "/healthz" => health.Liveness(),
            "/readyz" => health.Readiness(),
            _ => null,
        };
        if (answer is null)
        {
            return (404, "not found: this address serves /healthz, /readyz and /metrics\n");
        }

        if (method is not ("GET" or "HEAD"))
        {
            return (405, "method not allowed: GET or HEAD\n");
        }

        return (answer.Ok ? 200 : 503, answer.Body());
    }

    public override void Dispose()
    {
        listener?.Close();
        base.Dispose();
    }
}
