using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using BlueGreenOperator.LocalCluster;
using BlueGreenOperator.LocalCluster.Processes;

namespace BlueGreenOperator.Benchmarks.Harness;

/// <summary>The real operator as a child process, configured as in production except for its namespace and kubeconfig.</summary>
internal sealed partial class OperatorUnderTest : IAsyncDisposable
{
    const int TailLines = 300;
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    readonly Process process;
    readonly Queue<string> tail = new();

    OperatorUnderTest(Process process, int port)
    {
        this.process = process;
        Port = port;
    }

    public int Port { get; }

    public int Pid => process.Id;

    /// <summary>The last lines the operator wrote (warnings and errors only: it runs at log level Warning).</summary>
    public string Tail
    {
        get
        {
            lock (tail)
                return string.Join('\n', tail);
        }
    }

    public static async Task<OperatorUnderTest> StartAsync(string operatorDll, string kubeconfig, string watchNamespace, int workers, CancellationToken cancellationToken)
    {
        var port = LoopbackPort();
        var start = new ProcessStartInfo(DotnetHost.Path, [operatorDll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        start.Environment["Operator__Kubeconfig"] = kubeconfig;
        start.Environment["Operator__WatchNamespaces"] = watchNamespace;
        start.Environment["Operator__Workers"] = workers.ToString(CultureInfo.InvariantCulture);
        start.Environment["Operator__LeaderElection__Enabled"] = "false";
        // Information logging of a hundred rollouts would cost the measured process CPU for nothing.
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start the operator");
        var running = new OperatorUnderTest(process, port);
        process.OutputDataReceived += (_, e) => running.Remember(e.Data);
        process.ErrorDataReceived += (_, e) => running.Remember(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Eventually.UntilAsync(
            async ct =>
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"The operator exited with {process.ExitCode}:\n{running.Tail}");
                using var response = await Http.GetAsync(new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/readyz"), ct);
                return response.IsSuccessStatusCode;
            },
            TimeSpan.FromSeconds(60), "the operator to be ready", cancellationToken, TimeSpan.FromMilliseconds(100));
        return running;
    }

    void Remember(string? line)
    {
        if (line is null)
            return;
        lock (tail)
        {
            tail.Enqueue(line);
            while (tail.Count > TailLines)
                tail.Dequeue();
        }
    }

    /// <summary>The operator's own API requests so far, by verb, from its Prometheus endpoint.</summary>
    public async Task<ApiRequestCounts> ApiRequestsAsync(CancellationToken cancellationToken)
    {
        var text = await Http.GetStringAsync(new Uri($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/metrics"), cancellationToken);
        var byVerb = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (Match sample in RequestSample().Matches(text))
            byVerb[sample.Groups["verb"].Value] = (long)double.Parse(sample.Groups["count"].Value, CultureInfo.InvariantCulture);
        return new ApiRequestCounts(byVerb);
    }

    /// <summary>Resident set size in bytes (VmRSS of /proc/PID/status).</summary>
    public long ResidentBytes()
    {
        var line = File.ReadLines($"/proc/{Pid.ToString(CultureInfo.InvariantCulture)}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return 1024 * long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    [GeneratedRegex("""^bluegreen_api_requests(?:_total)?\{[^}]*\bverb="(?<verb>[A-Z]+)"[^}]*\}\s+(?<count>\S+)""", RegexOptions.Multiline)]
    private static partial Regex RequestSample();

    static int LoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>SIGTERM (graceful shutdown), then SIGKILL if it has not exited within ten seconds.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            ProcessSignals.Send(process.Id, ProcessSignals.SigTerm);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }

        process.Dispose();
    }
}

/// <summary>Cumulative API request counts of the operator, by HTTP verb.</summary>
internal sealed record ApiRequestCounts(IReadOnlyDictionary<string, long> ByVerb)
{
    static readonly string[] WriteVerbs = ["POST", "PUT", "PATCH", "DELETE"];

    public long Writes => ByVerb.Where(p => WriteVerbs.Contains(p.Key)).Sum(p => p.Value);

    public long Total => ByVerb.Values.Sum();

    /// <summary>What happened between <paramref name="earlier"/> and this reading.</summary>
    public ApiRequestCounts Since(ApiRequestCounts earlier) => new(
        ByVerb.Keys.Union(earlier.ByVerb.Keys)
            .ToDictionary(verb => verb, verb => ByVerb.GetValueOrDefault(verb) - earlier.ByVerb.GetValueOrDefault(verb)));
}
