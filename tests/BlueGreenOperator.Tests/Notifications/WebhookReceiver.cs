using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace BlueGreenOperator.Tests.Notifications;

/// <summary>A real HTTP receiver on loopback: records every body and answers with the next scripted status (then 200).</summary>
internal sealed class WebhookReceiver : IDisposable
{
    readonly HttpListener _listener = new();
    readonly ConcurrentQueue<int> _answers = new();
    readonly Task _loop;

    public WebhookReceiver(params int[] answers)
    {
        foreach (var answer in answers)
            _answers.Enqueue(answer);
        var port = FreePort();
        Url = $"http://127.0.0.1:{port}/hooks/T0KEN/";
        _listener.Prefixes.Add(Url);
        _listener.Start();
        _loop = Task.Run(ServeAsync);
    }

    public string Url { get; }

    public ConcurrentQueue<(string ContentType, string Body)> Received { get; } = new();

    public int Requests;

    async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            Interlocked.Increment(ref Requests);
            var status = _answers.TryDequeue(out var scripted) ? scripted : 200;
            if (status == 200)
                Received.Enqueue((context.Request.ContentType ?? "", body));
            context.Response.StatusCode = status;
            context.Response.Close();
        }
    }

    static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
