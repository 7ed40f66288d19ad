using System.Net.Security;
using System.Net.Sockets;
using BlueGreenOperator.LocalCluster.Processes;
using k8s.Models;

namespace BlueGreenOperator.LocalCluster.Kubelet;

/// <summary>Where a probe reaches the container: its pod address and declared ports; for exec, its namespace, directory and environment.</summary>
internal sealed record ProbeTarget(
    string Address,
    IReadOnlyList<V1ContainerPort> Ports,
    string NetworkNamespace,
    string WorkingDirectory,
    IReadOnlyDictionary<string, string> Environment);

/// <summary>Runs one probe on its own timer and reports when its thresholds are crossed.</summary>
internal sealed class ProbeRunner(V1Probe probe, ProbeTarget target)
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionLifetime = TimeSpan.Zero,
        SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Probes until cancelled; calls <paramref name="onChange"/> with true/false when success or failure thresholds are reached.</summary>
    public async Task RunAsync(Action<bool> onChange, CancellationToken cancellationToken)
    {
        var period = TimeSpan.FromSeconds(Math.Max(1, probe.PeriodSeconds ?? 10));
        var successThreshold = Math.Max(1, probe.SuccessThreshold ?? 1);
        var failureThreshold = Math.Max(1, probe.FailureThreshold ?? 3);
        bool? reported = null;
        var successes = 0;
        var failures = 0;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, probe.InitialDelaySeconds ?? 0)), cancellationToken);
            using var timer = new PeriodicTimer(period);
            do
            {
                if (await ProbeOnceAsync(cancellationToken))
                {
                    successes++;
                    failures = 0;
                    if (successes >= successThreshold && reported != true)
                    {
                        reported = true;
                        onChange(true);
                    }
                }
                else
                {
                    failures++;
                    successes = 0;
                    if (failures >= failureThreshold && reported != false)
                    {
                        reported = false;
                        onChange(false);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The container stopped; its probes stop with it.
        }
    }

    public async Task<bool> ProbeOnceAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, probe.TimeoutSeconds ?? 1)));
        try
        {
            if (probe.HttpGet is { } http)
            {
                return await HttpGetAsync(http, timeout.Token);
            }

            if (probe.TcpSocket is { } tcp)
            {
                using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(tcp.Host ?? target.Address, ResolvePort(tcp.Port), timeout.Token);
                return true;
            }

            if (probe.Exec is { Command.Count: > 0 } exec)
            {
                var result = await HostCommand.RunAsync(
                    "/usr/sbin/ip",
                    ["netns", "exec", target.NetworkNamespace, .. exec.Command],
                    timeout.Token,
                    target.WorkingDirectory,
                    target.Environment);
                return result.Succeeded;
            }

            // A probe kind 1.20 does not know (gRPC) counts as passing, as an older kubelet would ignore it.
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or SocketException or OperationCanceledException or IOException
            && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private async Task<bool> HttpGetAsync(V1HTTPGetAction http, CancellationToken cancellationToken)
    {
        var scheme = string.Equals(http.Scheme, "HTTPS", StringComparison.OrdinalIgnoreCase) ? "https" : "http";
        var path = string.IsNullOrEmpty(http.Path) ? "/" : http.Path.StartsWith('/') ? http.Path : "/" + http.Path;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"{scheme}://{http.Host ?? target.Address}:{ResolvePort(http.Port)}{path}"));
        request.Headers.ConnectionClose = true;
        request.Headers.UserAgent.ParseAdd("kube-probe/1.20");
        foreach (var header in http.HttpHeaders ?? [])
        {
            request.Headers.TryAddWithoutValidation(header.Name, header.Value);
        }

        using var response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var status = (int)response.StatusCode;
        return status is >= 200 and < 400;
    }

    private int ResolvePort(IntOrString port)
    {
        var value = port.Value ?? "";
        if (int.TryParse(value, out var number))
        {
            return number;
        }

        return target.Ports.FirstOrDefault(candidate => candidate.Name == value)?.ContainerPort
            ?? throw new IOException($"the container has no port named {value}");
    }
}
