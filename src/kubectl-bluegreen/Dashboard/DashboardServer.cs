using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using BlueGreenOperator.Hosting;

namespace BlueGreenOperator.Plugin.Dashboard;

internal static class DashboardDefaults
{
    public const int Port = 3100;
    public const string Address = "127.0.0.1";
}

/// <summary>What the page asks for when a person confirms an action.</summary>
internal sealed record ActionPost(string? Key, string? Verb);

/// <summary>
/// The dashboard's HTTP side on <see cref="HttpListener"/> (the base runtime; the plugin stays free of ASP.NET Core):
/// the embedded page, one Server-Sent Events stream of row changes, one object's detail, and action requests. It
/// answers only requests addressed to an IP literal or localhost (no DNS rebinding), and takes actions only from its own
/// origin (no cross-site requests).
/// </summary>
internal sealed class DashboardServer(ClusterMirror mirror, Func<string, string, string, CancellationToken, Task<string>> requestAction, string scope) : IDisposable
{
    private static readonly TimeSpan CoalesceWindow = TimeSpan.FromMilliseconds(150);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);
    private const int ClientBacklog = 256;

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new UtcDateTimeConverter() },
    };

    private static readonly Dictionary<string, (string Resource, string ContentType)> Assets = new(StringComparer.Ordinal)
    {
        ["/"] = ("index.html", "text/html; charset=utf-8"),
        ["/app.js"] = ("app.js", "text/javascript; charset=utf-8"),
        ["/app.css"] = ("app.css", "text/css; charset=utf-8"),
    };

    private HttpListener listener = new();
    private readonly List<Channel<string>> clients = [];

    public Uri? Url { get; private set; }

    /// <summary>Listens on the address and port (0: a free port the system picks).</summary>
    public void Start(IPAddress address, int port)
    {
        for (var attempt = 1; ; attempt++)
        {
            var chosen = port == 0 ? FreePort(address) : port;
            var host = address.Equals(IPAddress.Any) ? "+" : address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
            try
            {
                // A failed start closes its listener for good: each attempt starts a new one.
                listener = ListenerStart.Start([$"http://{host}:{chosen}/"]);
                var shown = host == "+" ? "127.0.0.1" : host;
                Url = new Uri($"http://{shown}:{chosen}/");
                return;
            }
            catch (HttpListenerException) when (port == 0 && attempt < 5)
            {
                // Another process took the free port between the probe and the bind: probe again.
            }
            catch (Exception e) when (e is HttpListenerException or ListenerRaceException)
            {
                throw new CommandFailure(ExitCode.ClusterError, $"cannot listen on {address}:{chosen}: {e.Message}");
            }
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var pump = PumpAsync(cancellationToken);
        using var stop = cancellationToken.Register(listener.Stop);
        while (!cancellationToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await listener.GetContextAsync();
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            _ = Task.Run(() => HandleAsync(context, cancellationToken), CancellationToken.None);
        }

        await pump.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public void Dispose() => ((IDisposable)listener).Dispose();

    private static int FreePort(IPAddress address)
    {
        using var probe = new TcpListener(address, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>An IP literal or localhost, on the port served: a name that resolves elsewhere (DNS rebinding) is refused.</summary>
    internal static bool IsServedHost(string? hostHeader, int port)
    {
        if (string.IsNullOrEmpty(hostHeader) || !Uri.TryCreate("http://" + hostHeader + "/", UriKind.Absolute, out var host) || host.Port != port)
        {
            return false;
        }

        return host.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 || string.Equals(host.Host, "localhost", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A request that changes something must come from the page itself: same origin, JSON body.</summary>
    internal static string? RefuseAction(string? origin, string? hostHeader, string? contentType, string? fetchSite)
    {
        if (origin is null || !string.Equals(origin, "http://" + hostHeader, StringComparison.OrdinalIgnoreCase))
        {
            return $"actions are taken only from the dashboard's own page (Origin {origin ?? "missing"})";
        }

        if (fetchSite is not null and not "same-origin")
        {
            return $"actions are taken only from the dashboard's own page (Sec-Fetch-Site {fetchSite})";
        }

        return contentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true ? null : "an action is a JSON request";
    }

    private async Task HandleAsync(HttpListenerContext context, CancellationToken cancellationToken)
    {
        var (request, response) = (context.Request, context.Response);
        try
        {
            response.Headers["X-Content-Type-Options"] = "nosniff";
            response.Headers["X-Frame-Options"] = "DENY";
            response.Headers["Referrer-Policy"] = "no-referrer";
            response.Headers["Cache-Control"] = "no-store";
            response.Headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
            if (!IsServedHost(request.Headers["Host"], Url!.Port))
            {
                await SendAsync(response, HttpStatusCode.Forbidden, new { error = "this dashboard answers only requests to its own address" });
                return;
            }

            var path = request.Url?.AbsolutePath ?? "/";
            switch (request.HttpMethod, path)
            {
                case ("GET", _) when Assets.TryGetValue(path, out var asset):
                    await SendAssetAsync(response, asset.Resource, asset.ContentType);
                    break;
                case ("GET", "/api/stream"):
                    await StreamAsync(response, cancellationToken);
                    break;
                case ("GET", "/api/object"):
                    var key = request.QueryString["key"] ?? "";
                    var detail = mirror.Detail(key);
                    await (detail is null
                        ? SendAsync(response, HttpStatusCode.NotFound, new { error = $"no BlueGreenDeployment {key} (deleted, or not visible to you)" })
                        : SendAsync(response, HttpStatusCode.OK, detail));
                    break;
                case ("POST", "/api/actions"):
                    await ActAsync(request, response, cancellationToken);
                    break;
                default:
                    await SendAsync(response, HttpStatusCode.NotFound, new { error = $"no {request.HttpMethod} {path}" });
                    break;
            }
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The browser went away.
        }
        catch (Exception e)
        {
            await TrySendAsync(response, HttpStatusCode.InternalServerError, new { error = $"the dashboard failed: {e.GetType().Name}: {e.Message}" });
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // Already gone.
            }
        }
    }

    private async Task ActAsync(HttpListenerRequest request, HttpListenerResponse response, CancellationToken cancellationToken)
    {
        if (RefuseAction(request.Headers["Origin"], request.Headers["Host"], request.ContentType, request.Headers["Sec-Fetch-Site"]) is { } refusal)
        {
            await SendAsync(response, HttpStatusCode.Forbidden, new { error = refusal });
            return;
        }

        ActionPost? post;
        try
        {
            post = await JsonSerializer.DeserializeAsync<ActionPost>(request.InputStream, Json, cancellationToken);
        }
        catch (JsonException)
        {
            post = null;
        }

        if (post?.Key is not { } key || post.Verb is not { } verb || !RolloutAction.All.Contains(verb) || key.Split('/') is not [{ Length: > 0 } ns, { Length: > 0 } name])
        {
            await SendAsync(response, HttpStatusCode.BadRequest, new { error = "an action names an object (namespace/name) and one of: " + string.Join(", ", RolloutAction.All) });
            return;
        }

        try
        {
            await SendAsync(response, HttpStatusCode.OK, new { message = await requestAction(ns, name, verb, cancellationToken) });
        }
        catch (CommandFailure failure)
        {
            var code = failure.ExitCode switch
            {
                ExitCode.NotFound => HttpStatusCode.NotFound,
                ExitCode.ActionDoesNotApply => HttpStatusCode.Conflict,
                _ => HttpStatusCode.BadGateway,
            };
            await SendAsync(response, code, new { error = failure.Message });
        }
    }

    /// <summary>The rows as they are now, then every coalesced batch of changes until the page goes away.</summary>
    private async Task StreamAsync(HttpListenerResponse response, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(ClientBacklog) { SingleReader = true });
        lock (clients)
        {
            clients.Add(channel);
        }

        try
        {
            response.ContentType = "text/event-stream; charset=utf-8";
            response.SendChunked = true;
            var output = response.OutputStream;
            await WriteEventAsync(output, "snapshot", new { scope, rows = mirror.Rows(), problem = mirror.Problem }, cancellationToken);
            while (!cancellationToken.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(KeepAlive);
                bool more;
                try
                {
                    more = await channel.Reader.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await output.WriteAsync(": keep-alive\n\n"u8.ToArray(), cancellationToken);
                    continue;
                }

                if (!more)
                {
                    // Too far behind: the page reconnects and starts from a fresh snapshot.
                    break;
                }

                while (channel.Reader.TryRead(out var message))
                {
                    await output.WriteAsync(Encoding.UTF8.GetBytes(message), cancellationToken);
                }

                await output.FlushAsync(cancellationToken);
            }
        }
        finally
        {
            lock (clients)
            {
                clients.Remove(channel);
            }
        }
    }

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var keys = await mirror.NextChangesAsync(CoalesceWindow, cancellationToken);
            var rows = new List<ObjectRow>();
            var removed = new List<string>();
            foreach (var key in keys.Where(k => k.Length > 0))
            {
                if (mirror.Find(key) is { } item)
                {
                    rows.Add(DashboardView.Row(item));
                }
                else
                {
                    removed.Add(key);
                }
            }

            var message = EventText("changes", new { rows, removed, changed = keys.Where(k => k.Length > 0), problem = mirror.Problem });
            lock (clients)
            {
                foreach (var client in clients.Where(c => !c.Writer.TryWrite(message)))
                {
                    client.Writer.TryComplete();
                }
            }
        }
    }

    private static string EventText(string name, object data) => $"event: {name}\ndata: {JsonSerializer.Serialize(data, Json)}\n\n";

    private static async Task WriteEventAsync(Stream output, string name, object data, CancellationToken cancellationToken)
    {
        await output.WriteAsync(Encoding.UTF8.GetBytes(EventText(name, data)), cancellationToken);
        await output.FlushAsync(cancellationToken);
    }

    private static async Task SendAsync(HttpListenerResponse response, HttpStatusCode status, object body)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(body, Json);
        response.StatusCode = (int)status;
        response.ContentType = "application/json; charset=utf-8";
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes);
    }

    private static async Task TrySendAsync(HttpListenerResponse response, HttpStatusCode status, object body)
    {
        try
        {
            await SendAsync(response, status, body);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // Headers already sent, or the browser went away: closing the response is all that is left.
        }
    }

    private static async Task SendAssetAsync(HttpListenerResponse response, string name, string contentType)
    {
        await using var resource = Assembly.GetExecutingAssembly().GetManifestResourceStream("Dashboard.Page." + name)
            ?? throw new InvalidOperationException($"the page's {name} is not embedded");
        response.StatusCode = 200;
        response.ContentType = contentType;
        response.ContentLength64 = resource.Length;
        await resource.CopyToAsync(response.OutputStream);
    }

    /// <summary>Times leave as UTC with a Z, whatever kind the client library read them as.</summary>
    private sealed class UtcDateTimeConverter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDateTime().ToUniversalTime();

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
            writer.WriteStringValue((value.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(value, DateTimeKind.Utc) : value.ToUniversalTime()).ToString("O", System.Globalization.CultureInfo.InvariantCulture));
    }
}
