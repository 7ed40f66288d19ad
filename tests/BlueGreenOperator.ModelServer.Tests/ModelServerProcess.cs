using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BlueGreenOperator.ModelServer.Tests;

/// <summary>The real model server running as a child process on a free loopback port.</summary>
internal sealed class ModelServerProcess : IAsyncDisposable
{
    /// <summary>Knobs cleared from the inherited environment so that only what a test sets applies.</summary>
    private static readonly string[] Knobs =
    [
        "PORT", "BIND_ADDRESS", "MODEL_NAME", "MODEL_VERSION", "REPORTED_VERSION", "STARTUP_DELAY_SECONDS", "NEVER_READY",
        "WRONG_PREDICTIONS", "WRONG_PREDICTIONS_CLAIM_FILE", "ADDED_LATENCY_MS", "CPU_WORK_MS", "ERROR_RATE", "CRASH_AFTER_REQUESTS", "ASPNETCORE_URLS", "MODEL_FILE",
        "COLD_START_MS", "COLD_START_REQUESTS", "COLD_AFTER_IDLE_SECONDS",
    ];

    private readonly Process process;
    private readonly StringBuilder output = new();

    private ModelServerProcess(Process process, int port)
    {
        this.process = process;
        Port = port;
        Client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
    }

    public int Port { get; }

    public HttpClient Client { get; }

    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    public bool HasExited => process.HasExited;

    /// <summary>CPU time the server process used so far (user and system).</summary>
    public TimeSpan CpuTime
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    public int ExitCode => process.ExitCode;

    public static string AssemblyPath =>
        typeof(ModelServerProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ModelServerAssembly").Value!;

    /// <summary>Starts the server and waits until it is ready, or only live when <paramref name="untilReady"/> is false.</summary>
    public static async Task<ModelServerProcess> StartAsync(
        IReadOnlyDictionary<string, string>? environment = null, bool portAsArgument = false, bool untilReady = true)
    {
        var port = FreeLoopbackPort();
        var server = Launch(environment, port, portAsArgument);
        await server.WaitUntilAsync(untilReady ? "/v2/health/ready" : "/v2/health/live");
        return server;
    }

    /// <summary>Starts the server and waits for it to exit by itself (it refuses its settings).</summary>
    public static async Task<ModelServerProcess> StartExpectingExitAsync(IReadOnlyDictionary<string, string> environment)
    {
        var server = Launch(environment, FreeLoopbackPort(), portAsArgument: false);
        await server.WaitForExitAsync(TimeSpan.FromSeconds(30));
        return server;
    }

    private static ModelServerProcess Launch(IReadOnlyDictionary<string, string>? environment, int port, bool portAsArgument)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(AssemblyPath);
        foreach (var knob in Knobs)
        {
            start.Environment.Remove(knob);
        }

        start.Environment["BIND_ADDRESS"] = "127.0.0.1";
        if (portAsArgument)
        {
            start.ArgumentList.Add("--port");
            start.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            start.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = new Process { StartInfo = start };
        var server = new ModelServerProcess(process, port);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancellation.Token);
    }

    /// <summary>Sends SIGTERM, as the kubelet does when a pod is deleted.</summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
    }

    public async Task<(HttpStatusCode Status, JsonNode? Body)> InferAsync(object request, string path = "/v2/models/iris/infer")
    {
        using var response = await Client.PostAsJsonAsync(path, request);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public async Task<(HttpStatusCode Status, JsonNode? Body)> PostRawAsync(string body, string path = "/v2/models/iris/infer")
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await Client.PostAsync(path, content);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public async Task<(HttpStatusCode Status, JsonNode? Body)> GetAsync(string path)
    {
        using var response = await Client.GetAsync(path);
        return (response.StatusCode, await ReadJsonAsync(response));
    }

    public async Task<string> ScrapeMetricsAsync() => await Client.GetStringAsync("/metrics");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private async Task WaitUntilAsync(string healthPath)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The model server exited with code {process.ExitCode}:\n{Output}");
            }

            try
            {
                using var response = await Client.GetAsync(healthPath);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"The model server did not answer {healthPath} within 60 s:\n{Output}");
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        try
        {
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
