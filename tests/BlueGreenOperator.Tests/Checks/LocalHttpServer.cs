using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Tests.Checks;

/// <summary>What a test server saw of one request.</summary>
internal sealed record ReceivedRequest(string Host, string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers, string? ContentType, string Body);

/// <summary>A real Kestrel server on 127.0.0.1 and a free port; the test decides how it answers.</summary>
internal sealed class LocalHttpServer : IAsyncDisposable
{
    readonly WebApplication app;
    readonly ConcurrentQueue<ReceivedRequest> received = new();
    int inFlight;
    int maxInFlight;

    LocalHttpServer(Func<ReceivedRequest, HttpContext, Task> respond)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        app = builder.Build();
        app.Run(async context =>
        {
            var now = Interlocked.Increment(ref inFlight);
            InterlockedMax(ref maxInFlight, now);
            try
            {
                using var reader = new StreamReader(context.Request.Body);
                var request = new ReceivedRequest(
                    context.Request.Host.Host.Trim('[', ']'),
                    context.Request.Method,
                    context.Request.Path + context.Request.QueryString,
                    context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                    context.Request.ContentType,
                    await reader.ReadToEndAsync(context.RequestAborted));
                received.Enqueue(request);
                await respond(request, context);
            }
            finally
            {
                Interlocked.Decrement(ref inFlight);
            }
        });
    }

    public int Port { get; private set; }

    public IReadOnlyList<ReceivedRequest> Received => [.. received];

    /// <summary>The most requests this server was answering at the same moment.</summary>
    public int MaxInFlight => Volatile.Read(ref maxInFlight);

    public static async Task<LocalHttpServer> StartAsync(Func<ReceivedRequest, HttpContext, Task> respond)
    {
        var server = new LocalHttpServer(respond);
        await server.app.StartAsync();
        server.Port = new Uri(server.app.Urls.Single()).Port;
        return server;
    }

    public static Task WriteJsonAsync(HttpContext context, string json, int status = 200)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(json, context.RequestAborted);
    }

    /// <summary>A port nothing listens on: bound once by the system's choice, then released.</summary>
    public static int UnusedPort()
    {
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
