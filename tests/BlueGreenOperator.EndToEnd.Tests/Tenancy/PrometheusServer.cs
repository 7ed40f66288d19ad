using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using BlueGreenOperator.LocalCluster;

namespace BlueGreenOperator.EndToEnd.Tests.Tenancy;

/// <summary>A pod Prometheus scrapes, with the labels Kubernetes service discovery would give its series.</summary>
internal sealed record ScrapeTarget(string Address, string Namespace, string Pod);

/// <summary>
/// A real Prometheus (Debian's <c>prometheus</c> package, see hack/prereqs.sh) on a loopback port, scraping the given
/// pods every second and labelling their series with <c>namespace</c> and <c>pod</c>, as the usual Kubernetes scrape
/// configuration does. Its data lives in a temporary directory removed with it.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    public const string Binary = "/usr/bin/prometheus";
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    readonly Process _process;
    readonly string _directory;
    readonly StringBuilder _log = new();

    PrometheusServer(Process process, string directory, Uri address)
    {
        _process = process;
        _directory = directory;
        Address = address;
    }

    public Uri Address { get; }

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    /// <param name="job">The scrape job's name (the <c>job</c> label of every series).</param>
    /// <param name="ruleFiles">Rule files Prometheus loads and evaluates every second.</param>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyList<ScrapeTarget> targets, string job = "model-servers", IReadOnlyList<string>? ruleFiles = null)
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} is missing: run hack/prereqs.sh (Debian package prometheus)");
        var directory = Directory.CreateTempSubdirectory("bluegreen-prometheus-").FullName;
        var config = new StringBuilder("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n");
        if (ruleFiles is { Count: > 0 })
        {
            config.Append("rule_files:\n");
            foreach (var file in ruleFiles)
                config.Append(CultureInfo.InvariantCulture, $"  - '{file}'\n");
        }
        config.Append(CultureInfo.InvariantCulture, $"scrape_configs:\n  - job_name: {job}\n    static_configs:\n");
        foreach (var target in targets)
            config.Append(CultureInfo.InvariantCulture, $"      - targets: ['{target.Address}']\n        labels: {{namespace: '{target.Namespace}', pod: '{target.Pod}'}}\n");
        await File.WriteAllTextAsync(Path.Combine(directory, "prometheus.yml"), config.ToString());

        var port = FreePort();
        var start = new ProcessStartInfo(Binary,
        [
            $"--config.file={Path.Combine(directory, "prometheus.yml")}",
            $"--storage.tsdb.path={Path.Combine(directory, "data")}",
            $"--web.listen-address=127.0.0.1:{port}",
            "--log.level=warn",
        ])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("prometheus did not start");
        var server = new PrometheusServer(process, directory, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Eventually.UntilAsync(
            async ct =>
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"prometheus exited with {process.ExitCode}:\n{server.Log}");
                try
                {
                    using var ready = await Http.GetAsync(new Uri(server.Address, "-/ready"), ct);
                    return ready.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
            },
            TimeSpan.FromSeconds(60), "Prometheus to be ready", interval: TimeSpan.FromMilliseconds(200));
        return server;
    }

    /// <summary>An instant query as anyone may send it, unscoped: the first sample, or null when the result is empty.</summary>
    public async Task<double?> QueryAsync(string query)
    {
        using var document = await GetAsync($"api/v1/query?query={Uri.EscapeDataString(query)}");
        var data = document.RootElement.GetProperty("data");
        var result = data.GetProperty("result");
        var pair = data.GetProperty("resultType").GetString() == "scalar" ? result : result.GetArrayLength() == 0 ? default : result[0].GetProperty("value");
        return pair.ValueKind == JsonValueKind.Undefined ? null : ParseSample(pair[1].GetString()!);
    }

    /// <summary>The series an instant query returns (each as its labels and value); empty when it returns none.</summary>
    public async Task<IReadOnlyList<(IReadOnlyDictionary<string, string> Labels, double Value)>> SeriesAsync(string query)
    {
        using var document = await GetAsync($"api/v1/query?query={Uri.EscapeDataString(query)}");
        var data = document.RootElement.GetProperty("data");
        if (data.GetProperty("resultType").GetString() != "vector")
            throw new InvalidOperationException($"{query} is not a vector query");
        return [.. data.GetProperty("result").EnumerateArray().Select(series => (
            (IReadOnlyDictionary<string, string>)series.GetProperty("metric").EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString()!),
            ParseSample(series.GetProperty("value")[1].GetString()!)))];
    }

    /// <summary>Every loaded rule: its name (alert or record), its health (ok, err, unknown) and its last error.</summary>
    public async Task<IReadOnlyList<(string Name, string Health, string? Error)>> RulesAsync()
    {
        using var document = await GetAsync("api/v1/rules");
        return [.. document.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(group => group.GetProperty("rules").EnumerateArray())
            .Select(rule => (
                rule.GetProperty("name").GetString()!,
                rule.GetProperty("health").GetString()!,
                rule.TryGetProperty("lastError", out var error) ? error.GetString() : null))];
    }

    async Task<JsonDocument> GetAsync(string pathAndQuery) => JsonDocument.Parse(await Http.GetStringAsync(new Uri(Address, pathAndQuery)));

    static double ParseSample(string text) => text switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ => double.Parse(text, CultureInfo.InvariantCulture),
    };

    void Append(string? line)
    {
        if (line is null)
            return;
        lock (_log)
            _log.AppendLine(line);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
            _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
