using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using BlueGreenOperator.LocalCluster;
using BlueGreenOperator.LocalCluster.Processes;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>The real operator as a child process, watching one test namespace; killed hard or stopped gracefully.</summary>
internal sealed partial class OperatorProcess : IAsyncDisposable
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    readonly Process _process;
    readonly StringBuilder _log = new();
    bool _disposed;

    OperatorProcess(Process process, int port, string identity)
    {
        _process = process;
        Port = port;
        Identity = identity;
    }

    public int Port { get; }

    public int ProcessId => _process.Id;

    public string Identity { get; }

    public bool HasExited => _process.HasExited;

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    /// <param name="kubeconfig">Whom the operator authenticates as; unless given, the chart's ServiceAccount with the chart's RBAC for <paramref name="watchNamespace"/> (<see cref="Shipping.ChartIdentity"/>).</param>
    /// <param name="environment">Settings that replace the defaults below, as a Helm release would set them.</param>
    public static async Task<OperatorProcess> StartAsync(
        string watchNamespace,
        bool leaderElection = false,
        string? identity = null,
        bool waitReady = true,
        string? kubeconfig = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var port = FreeLoopbackPort();
        identity ??= $"operator-{port}";
        var start = new ProcessStartInfo("dotnet", [BuildOutputs.OperatorDll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["Operator__Kubeconfig"] = kubeconfig ?? (await Shipping.ChartIdentity.ForAsync(watchNamespace)).Kubeconfig.Path;
        start.Environment["Operator__WatchNamespaces"] = watchNamespace;
        start.Environment["Operator__Workers"] = "4";
        start.Environment["Operator__LeaderElection__Enabled"] = leaderElection ? "true" : "false";
        start.Environment["Operator__LeaderElection__LeaseName"] = Shipping.ChartIdentity.LeaseName;
        start.Environment["Operator__LeaderElection__LeaseNamespace"] = watchNamespace.Split(',')[0];
        start.Environment["Operator__LeaderElection__LeaseDurationSeconds"] = "6";
        start.Environment["Operator__LeaderElection__RenewDeadlineSeconds"] = "4";
        start.Environment["Operator__LeaderElection__RetryPeriodSeconds"] = "1";
        start.Environment["HOSTNAME"] = identity;
        start.Environment["Logging__LogLevel__Default"] = "Information";
        start.Environment["Logging__LogLevel__BlueGreenOperator"] = "Debug";
        start.Environment["Logging__LogLevel__Microsoft.AspNetCore"] = "Warning";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var running = new OperatorProcess(process, port, identity);
        process.OutputDataReceived += (_, e) => running.Append(e.Data);
        process.ErrorDataReceived += (_, e) => running.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (waitReady)
            await running.WaitReadyAsync();
        return running;
    }

    void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
    }

    public Task WaitReadyAsync() => Eventually.UntilAsync(
        async ct =>
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The operator exited with {_process.ExitCode}:\n{Log}");
            using var response = await Http.GetAsync($"http://127.0.0.1:{Port}/readyz", ct);
            return response.IsSuccessStatusCode;
        },
        TimeSpan.FromSeconds(60), "the operator to be ready", interval: TimeSpan.FromMilliseconds(100));

    /// <summary>SIGKILL: nothing in memory survives, as when a node dies under the operator.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM and wait: the graceful shutdown path (lease released).</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
            return;
        ProcessSignals.Send(_process.Id, ProcessSignals.SigTerm);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            await KillAsync();
        }
    }

    const int SigCont = 18;
    const int SigStop = 19;

    /// <summary>SIGSTOP: every thread stops where it is, as in a long GC pause or a frozen VM; nothing is released.</summary>
    public void Freeze() => ProcessSignals.Send(_process.Id, SigStop);

    /// <summary>SIGCONT: the frozen process goes on from where it stopped, its timers long overdue.</summary>
    public void Thaw() => ProcessSignals.Send(_process.Id, SigCont);

    /// <summary>GET of one of the operator's own endpoints: status code and body; 0 and empty when it does not answer.</summary>
    public async Task<(int Status, string Body)> GetAsync(string path)
    {
        try
        {
            using var response = await Http.GetAsync($"http://127.0.0.1:{Port}{path}");
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (0, "");
        }
    }

    /// <summary>The sum of every series of one Prometheus metric (e.g. <c>bluegreen_fence_refused</c>, with or without <c>_total</c>); 0 when absent.</summary>
    public async Task<double> MetricAsync(string name)
    {
        var text = await Http.GetStringAsync($"http://127.0.0.1:{Port}/metrics");
        var total = 0.0;
        foreach (var line in text.Split('\n'))
        {
            var series = new[] { name, name + "_total" }.FirstOrDefault(n => line.StartsWith(n + " ", StringComparison.Ordinal) || line.StartsWith(n + "{", StringComparison.Ordinal));
            if (series is null)
                continue;
            var rest = line.Contains('{', StringComparison.Ordinal) ? line[(line.LastIndexOf('}') + 1)..] : line[series.Length..];
            var value = rest.Trim().Split(' ')[0];
            total += double.Parse(value, CultureInfo.InvariantCulture);
        }

        return total;
    }

    /// <summary>The operator's own API requests by verb, read from its Prometheus endpoint.</summary>
    public async Task<IReadOnlyDictionary<string, long>> ApiRequestsAsync()
    {
        var text = await Http.GetStringAsync($"http://127.0.0.1:{Port}/metrics");
        var counts = new Dictionary<string, long>();
        foreach (Match match in ApiRequestLine().Matches(text))
            counts[match.Groups["verb"].Value] = (long)double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        return counts;
    }

    public static long Writes(IReadOnlyDictionary<string, long> byVerb) =>
        byVerb.Where(p => p.Key is "POST" or "PUT" or "PATCH" or "DELETE").Sum(p => p.Value);

    [GeneratedRegex("""^bluegreen_api_requests(?:_total)?\{[^}]*verb="(?<verb>[A-Z]+)"[^}]*\}\s+(?<value>[0-9.eE+]+)""", RegexOptions.Multiline)]
    private static partial Regex ApiRequestLine();

    static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
            return;
        _disposed = true;
        await KillAsync();
        _process.Dispose();
    }
}
