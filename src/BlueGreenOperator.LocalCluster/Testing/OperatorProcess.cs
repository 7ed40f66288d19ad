using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using BlueGreenOperator.LocalCluster.Processes;

namespace BlueGreenOperator.LocalCluster.Testing;

/// <summary>How much the operator logs: everything a test may need to read, or only warnings (a benchmark's measured process).</summary>
public enum OperatorLogging
{
    Verbose,
    WarningsOnly,
}

/// <summary>
/// How to start the operator: its program (the natively compiled executable that ships, or a build's assembly, run by
/// the dotnet host), whom it authenticates as and the namespace it watches; the rest as a
/// Helm release would set it, with short leader election timings so that a test sees a hand-over within seconds.
/// </summary>
public sealed record OperatorLaunch(string Program, string Kubeconfig, string WatchNamespace)
{
    public int Workers { get; init; } = 16;

    public bool LeaderElection { get; init; }

    /// <summary>The instance's name (HOSTNAME); <c>operator-PORT</c> when not given.</summary>
    public string? Identity { get; init; }

    /// <summary>The Lease's name (the operator's default when not given); it lives in the first watched namespace.</summary>
    public string? LeaseName { get; init; }

    public OperatorLogging Logging { get; init; } = OperatorLogging.Verbose;

    /// <summary>Settings that replace the defaults above (environment variables, e.g. <c>Operator__Workers</c>).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// The real operator as a child process, for end-to-end tests and the benchmark alike: started from its build output,
/// its output kept, its own endpoints (health, metrics) read, and stopped hard (SIGKILL), gracefully (SIGTERM) or
/// frozen (SIGSTOP) as a test needs.
/// </summary>
public sealed partial class OperatorProcess : IAsyncDisposable
{
    const int SigCont = 18;
    const int SigStop = 19;
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    static readonly string[] WriteVerbs = ["POST", "PUT", "PATCH", "DELETE"];

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

    public int Pid => _process.Id;

    public string Identity { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the operator wrote to stdout and stderr so far.</summary>
    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    public static async Task<OperatorProcess> StartAsync(OperatorLaunch launch, bool waitReady = true, CancellationToken cancellationToken = default)
    {
        var port = FreeLoopbackPort();
        var identity = launch.Identity ?? $"operator-{port.ToString(CultureInfo.InvariantCulture)}";
        var start = launch.Program.EndsWith(".dll", StringComparison.Ordinal)
            ? new ProcessStartInfo(DotnetHost.Path, [launch.Program])
            : new ProcessStartInfo(launch.Program);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        start.Environment["Operator__Listen"] = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
        start.Environment["Operator__Kubeconfig"] = launch.Kubeconfig;
        start.Environment["Operator__WatchNamespaces"] = launch.WatchNamespace;
        start.Environment["Operator__Workers"] = launch.Workers.ToString(CultureInfo.InvariantCulture);
        start.Environment["Operator__LeaderElection__Enabled"] = launch.LeaderElection ? "true" : "false";
        if (launch.LeaseName is { } leaseName)
            start.Environment["Operator__LeaderElection__LeaseName"] = leaseName;
        start.Environment["Operator__LeaderElection__LeaseNamespace"] = launch.WatchNamespace.Split(',')[0];
        start.Environment["Operator__LeaderElection__LeaseDurationSeconds"] = "6";
        start.Environment["Operator__LeaderElection__RenewDeadlineSeconds"] = "4";
        start.Environment["Operator__LeaderElection__RetryPeriodSeconds"] = "1";
        start.Environment["HOSTNAME"] = identity;
        // What a pod's downward API gives it: the name it competes for the Lease under.
        start.Environment["POD_NAME"] = identity;
        if (launch.Logging == OperatorLogging.Verbose)
        {
            start.Environment["Logging__LogLevel__Default"] = "Information";
            start.Environment["Logging__LogLevel__BlueGreenOperator"] = "Debug";
        }
        else
        {
            // Logging every step of a thousand objects would cost the measured process CPU for nothing.
            start.Environment["Logging__LogLevel__Default"] = "Warning";
        }

        foreach (var (key, value) in launch.Environment)
            start.Environment[key] = value;
        var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start the operator");
        var running = new OperatorProcess(process, port, identity);
        process.OutputDataReceived += (_, e) => running.Append(e.Data);
        process.ErrorDataReceived += (_, e) => running.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (waitReady)
            await running.WaitReadyAsync(cancellationToken);
        return running;
    }

    void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
    }

    /// <summary>The last <paramref name="lines"/> lines of the log.</summary>
    public string Tail(int lines = 40) => string.Join('\n', Log.Split('\n').TakeLast(lines));

    public Task WaitReadyAsync(CancellationToken cancellationToken = default) => Eventually.UntilAsync(
        async ct =>
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"The operator exited with {_process.ExitCode}:\n{Tail(100)}");
            using var response = await Http.GetAsync(Endpoint("/readyz"), ct);
            return response.IsSuccessStatusCode;
        },
        TimeSpan.FromSeconds(60), "the operator to be ready", cancellationToken, TimeSpan.FromMilliseconds(100));

    /// <summary>SIGKILL: nothing in memory survives, as when a node dies under the operator.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM and wait: the graceful shutdown path (lease released); SIGKILL after 20 s.</summary>
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

    /// <summary>SIGSTOP: every thread stops where it is, as in a long GC pause or a frozen VM; nothing is released.</summary>
    public void Freeze() => ProcessSignals.Send(_process.Id, SigStop);

    /// <summary>SIGCONT: the frozen process goes on from where it stopped, its timers long overdue.</summary>
    public void Thaw() => ProcessSignals.Send(_process.Id, SigCont);

    /// <summary>GET of one of the operator's own endpoints: status code and body; 0 and empty when it does not answer.</summary>
    public async Task<(int Status, string Body)> GetAsync(string path)
    {
        try
        {
            using var response = await Http.GetAsync(Endpoint(path));
            return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return (0, "");
        }
    }

    /// <summary>
    /// The sum of every series of one Prometheus metric (e.g. <c>bluegreen_fence_refused</c>, with or without
    /// <c>_total</c>) whose labels contain <paramref name="label"/> (e.g. <c>role="active"</c>); 0 when absent.
    /// </summary>
    public async Task<double> MetricAsync(string name, string? label = null, CancellationToken cancellationToken = default)
    {
        var text = await Http.GetStringAsync(Endpoint("/metrics"), cancellationToken);
        var total = 0.0;
        foreach (var line in text.Split('\n'))
        {
            var series = new[] { name, name + "_total" }.FirstOrDefault(n => line.StartsWith(n + " ", StringComparison.Ordinal) || line.StartsWith(n + "{", StringComparison.Ordinal));
            if (series is null)
                continue;
            var labelled = line.Contains('{', StringComparison.Ordinal);
            if (label is not null && (!labelled || !line[..line.LastIndexOf('}')].Contains(label, StringComparison.Ordinal)))
                continue;
            var rest = labelled ? line[(line.LastIndexOf('}') + 1)..] : line[series.Length..];
            total += double.Parse(rest.Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }

        return total;
    }

    /// <summary>The operator's own API requests so far, by HTTP verb, read from its Prometheus endpoint.</summary>
    public async Task<IReadOnlyDictionary<string, long>> ApiRequestsAsync(CancellationToken cancellationToken = default) =>
        ByVerb(await ApiRequestsByResourceAsync(cancellationToken));

    /// <summary>The operator's API requests so far, by <c>VERB resource</c> (<c>PUT bluegreendeployments/status</c>).</summary>
    public async Task<IReadOnlyDictionary<string, long>> ApiRequestsByResourceAsync(CancellationToken cancellationToken = default)
    {
        var text = await Http.GetStringAsync(Endpoint("/metrics"), cancellationToken);
        var counts = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (Match match in ApiRequestLine().Matches(text))
        {
            var key = $"{match.Groups["verb"].Value} {match.Groups["resource"].Value}";
            counts[key] = counts.GetValueOrDefault(key) + (long)double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
        }

        return counts;
    }

    /// <summary>Counts by <c>VERB resource</c> summed by verb.</summary>
    public static IReadOnlyDictionary<string, long> ByVerb(IReadOnlyDictionary<string, long> byResource)
    {
        var sums = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, value) in byResource)
        {
            var verb = key[..key.IndexOf(' ', StringComparison.Ordinal)];
            sums[verb] = sums.GetValueOrDefault(verb) + value;
        }

        return sums;
    }

    public static long Writes(IReadOnlyDictionary<string, long> byVerb) =>
        byVerb.Where(p => WriteVerbs.Contains(p.Key)).Sum(p => p.Value);

    /// <summary>Resident set size in bytes (VmRSS of /proc/PID/status).</summary>
    public long ResidentBytes() => StatusBytes("VmRSS:");

    /// <summary>
    /// The resident set split: anonymous memory (GC heap, stacks, native allocations), file-backed pages (the mapped
    /// runtime and assemblies) and shared memory (the runtime maps its JIT code twice through it, writable and executable).
    /// </summary>
    public (long AnonymousBytes, long FileBytes, long SharedBytes) ResidentSplit() => (StatusBytes("RssAnon:"), StatusBytes("RssFile:"), StatusBytes("RssShmem:"));

    long StatusBytes(string field)
    {
        var line = File.ReadLines($"/proc/{Pid.ToString(CultureInfo.InvariantCulture)}/status").First(l => l.StartsWith(field, StringComparison.Ordinal));
        return 1024 * long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    /// <summary>CPU time used so far, user and system (utime + stime of /proc/PID/stat, in clock ticks of 1/100 s).</summary>
    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{Pid.ToString(CultureInfo.InvariantCulture)}/stat");
        // The command name is in parentheses and may hold spaces: the fields counted here start after it.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    // The two labels in either order, among any others the exporter adds.
    [GeneratedRegex("""^bluegreen_api_requests(?:_total)?\{(?=[^}]*\bverb="(?<verb>[A-Z]+)")(?=[^}]*\bresource="(?<resource>[^"]*)")[^}]*\}\s+(?<value>[0-9.eE+]+)""", RegexOptions.Multiline)]
    private static partial Regex ApiRequestLine();

    Uri Endpoint(string path) => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}{path}");

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
