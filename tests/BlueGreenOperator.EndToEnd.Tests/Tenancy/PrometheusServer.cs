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

    public static async Task<PrometheusServer> StartAsync(IReadOnlyList<ScrapeTarget> targets)
    {
        if (!File.Exists(Binary))
            throw new InvalidOperationException($"{Binary} is missing: run hack/prereqs.sh (Debian package prometheus)");
        var directory = Directory.CreateTempSubdirectory("bluegreen-prometheus-").FullName;
        var config = new StringBuilder("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: model-servers\n    static_configs:\n");
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
        var body = await Http.GetStringAsync(new Uri(Address, $"api/v1/query?query={Uri.EscapeDataString(query)}"));
        using var document = JsonDocument.Parse(body);
        var data = document.RootElement.GetProperty("data");
        var result = data.GetProperty("result");
        var pair = data.GetProperty("resultType").GetString() == "scalar" ? result : result.GetArrayLength() == 0 ? default : result[0].GetProperty("value");
        return pair.ValueKind == JsonValueKind.Undefined ? null : double.Parse(pair[1].GetString()!, CultureInfo.InvariantCulture);
    }

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
