using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BlueGreenOperator.LocalCluster.Install;
using BlueGreenOperator.LocalCluster.Metrics;
using BlueGreenOperator.LocalCluster.Networking;
using BlueGreenOperator.LocalCluster.Processes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueGreenOperator.LocalCluster.ControlPlane;

/// <summary>
/// A real Kubernetes control plane on this machine (etcd, kube-apiserver, kube-controller-manager,
/// kube-scheduler) plus the local kubelet, every process detached and recorded in its directory.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    // Room for thousands of Services (two an object); addresses are only allocated, never routed, so clusters may share it.
    private const string ServiceClusterIpRange = "10.0.0.0/16";
    private const string KubernetesServiceAddress = "10.0.0.1";
    private const string HorizontalPodAutoscalerSyncPeriod = "5s";
    private const string HorizontalPodAutoscalerDownscaleStabilization = "30s";

    private readonly ILogger logger;

    private LocalCluster(string directory, ClusterState state, ILogger logger)
    {
        Directory = directory;
        State = state;
        this.logger = logger;
    }

    public string Directory { get; }

    public ClusterState State { get; }

    public string KubeconfigPath => Path.Combine(Directory, "kubeconfig");

    /// <summary>
    /// The API server's audit log (JSON lines, rotated beside it as <c>audit-*.log</c>): every request of a
    /// ServiceAccount outside kube-system, at Metadata level (who, verb, resource, namespace, name, response code,
    /// authorization decision), kept with the other logs when the cluster stops.
    /// </summary>
    public string AuditLogPath => Path.Combine(Directory, "logs", "audit.log");

    public PodNetwork Network => new(State);

    public IKubernetes CreateClient() =>
        new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));

    /// <summary>Attaches to a cluster that `up` started earlier in <paramref name="directory"/>.</summary>
    public static LocalCluster Attach(string directory, ILogger logger)
    {
        var full = Path.GetFullPath(directory);
        var state = ClusterState.TryLoad(full) ?? throw new InvalidOperationException($"No local cluster in {full}; run `up` first.");
        return new LocalCluster(full, state, logger);
    }

    /// <summary>Starts a cluster in <paramref name="directory"/> and returns once it can run pods.</summary>
    public static Task<LocalCluster> StartAsync(string directory, LocalClusterOptions options, CancellationToken cancellationToken = default) =>
        StartAsync(directory, options, NullLogger.Instance, cancellationToken);

    public static async Task<LocalCluster> StartAsync(string directory, LocalClusterOptions options, ILogger logger, CancellationToken cancellationToken = default)
    {
        var binaries = options.BinaryDirectory is null ? KubernetesBinaries.FromCache() : new KubernetesBinaries(options.BinaryDirectory);
        binaries.EnsureComplete();
        var full = Path.GetFullPath(directory);
        if (ClusterState.TryLoad(full) is not null)
        {
            logger.LogInformation("Removing what an earlier run left in {Directory}", full);
            await DownAsync(full, logger, cancellationToken);
        }

        var logs = Path.Combine(full, "logs");
        if (System.IO.Directory.Exists(logs))
        {
            System.IO.Directory.Delete(logs, recursive: true);
        }

        System.IO.Directory.CreateDirectory(logs);
        await StaleClusterSweep.RemoveAsync(logger, cancellationToken);
        var networkIndex = await PodNetwork.ClaimBridgeAsync(full, cancellationToken);
        var state = new ClusterState
        {
            Prefix = ClusterState.PrefixFor(networkIndex),
            NetworkIndex = networkIndex,
            NodeName = options.NodeName,
            EtcdClientPort = FreePort.Next(),
            EtcdPeerPort = FreePort.Next(),
            ApiServerPort = FreePort.Next(),
            MetricsPort = FreePort.Next(),
            ModelServerDll = options.ModelServerDll,
        };
        state.Save(full);
        var cluster = new LocalCluster(full, state, logger);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.StartTimeout);
            await cluster.BootAsync(binaries, timeout.Token);
            return cluster;
        }
        catch
        {
            logger.LogError("Starting the local cluster failed; logs are in {Logs}", Path.Combine(full, "logs"));
            await DownAsync(full, logger, CancellationToken.None, keepLogs: true);
            throw;
        }
    }

    /// <param name="keepLogs">Leave DIR/logs for a post-mortem (the test fixture does).</param>
    public Task StopAsync(bool keepLogs = false) => DownAsync(Directory, logger, CancellationToken.None, keepLogs);

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>Stops every process of the cluster recorded in (or marked for) <paramref name="directory"/> and removes its network and data.</summary>
    public static async Task DownAsync(string directory, ILogger logger, CancellationToken cancellationToken, bool keepLogs = false)
    {
        var full = Path.GetFullPath(directory);
        var state = ClusterState.TryLoad(full);
        if (state is not null)
        {
            foreach (var name in ClusterProcess.StopOrder)
            {
                if (state.Pids.TryGetValue(name, out var pid) && ProcessSignals.HasMarker(pid, state.Prefix))
                {
                    await ProcessSignals.TerminateAsync([pid], TimeSpan.FromSeconds(name == ClusterProcess.Kubelet ? 15 : 5), cancellationToken);
                }
            }

            var strays = ProcessSignals.FindMarked(state.Prefix);
            if (strays.Count > 0)
            {
                logger.LogInformation("Stopping {Count} stray processes of {Prefix}", strays.Count, state.Prefix);
                await ProcessSignals.TerminateAsync(strays, TimeSpan.FromSeconds(3), cancellationToken);
            }

            await PodNetwork.RemoveAllAsync(state.Prefix, includeBridge: true, cancellationToken);
            PodNetwork.ReleaseClaim(state.Prefix);
            logger.LogInformation("Stopped local cluster {Prefix} in {Directory}", state.Prefix, full);
        }

        if (System.IO.Directory.Exists(full))
        {
            foreach (var entry in System.IO.Directory.EnumerateFileSystemEntries(full))
            {
                if (keepLogs && Path.GetFileName(entry) == "logs")
                {
                    continue;
                }

                if (System.IO.Directory.Exists(entry))
                {
                    System.IO.Directory.Delete(entry, recursive: true);
                }
                else
                {
                    File.Delete(entry);
                }
            }

            if (!keepLogs)
            {
                System.IO.Directory.Delete(full, recursive: true);
            }
        }
    }

    private string PathIn(params string[] parts) => Path.Combine([Directory, .. parts]);

    private async Task BootAsync(KubernetesBinaries binaries, CancellationToken cancellationToken)
    {
        var pki = PathIn("pki");
        System.IO.Directory.CreateDirectory(pki);
        var certificates = ClusterCertificates.Create(KubernetesServiceAddress, State.BridgeAddress, $"{MetricsApi.ServiceName}.{MetricsApi.ServiceNamespace}.svc");
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        await File.WriteAllTextAsync(Path.Combine(pki, "ca.crt"), certificates.CaCertificatePem, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(pki, "apiserver.crt"), certificates.ServingCertificatePem, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(pki, "apiserver.key"), certificates.ServingKeyPem, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(pki, "sa.key"), certificates.ServiceAccountKeyPem, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(pki, "sa.pub"), certificates.ServiceAccountPublicKeyPem, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(pki, "front-proxy-ca.crt"), certificates.FrontProxyCaCertificatePem, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(pki, "front-proxy-client.crt"), certificates.ProxyClientCertificatePem, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(pki, "front-proxy-client.key"), certificates.ProxyClientKeyPem, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(pki, "metrics.crt"), certificates.MetricsServingCertificatePem, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(pki, "metrics.key"), certificates.MetricsServingKeyPem, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(pki, "tokens.csv"), $"{token},admin,admin,\"system:masters\"\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(pki, "audit-policy.yaml"), ApiServerPolicies.Audit, cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(pki, "admission.yaml"), ApiServerPolicies.Admission, cancellationToken);

        var server = $"https://127.0.0.1:{State.ApiServerPort.ToString(CultureInfo.InvariantCulture)}";
        await File.WriteAllTextAsync(KubeconfigPath, Kubeconfig.Render(server, certificates.CaCertificatePem, token, $"bluegreen-{State.Prefix}"), cancellationToken);

        var stopwatch = Stopwatch.StartNew();
        await StartEtcdAsync(cancellationToken);
        await StartApiServerAsync(binaries, pki, cancellationToken);
        using var ca = X509Certificate2.CreateFromPem(certificates.CaCertificatePem);
        await WaitForApiServerAsync(server, ca, token, cancellationToken);
        logger.LogInformation("kube-apiserver ready at {Server} after {Elapsed}", server, stopwatch.Elapsed);

        await StartAsync(
            ClusterProcess.ControllerManager,
            binaries.ControllerManager,
            [
                $"--kubeconfig={KubeconfigPath}",
                "--bind-address=127.0.0.1",
                "--port=0",
                "--secure-port=0",
                "--leader-elect=false",
                "--controllers=*",
                "--use-service-account-credentials=true",
                $"--service-account-private-key-file={Path.Combine(pki, "sa.key")}",
                $"--root-ca-file={Path.Combine(pki, "ca.crt")}",
                $"--service-cluster-ip-range={ServiceClusterIpRange}",
                "--node-monitor-grace-period=40s",

                // HorizontalPodAutoscalers act within seconds rather than 15 s; scaling down waits 30 s rather than 5 min.
                $"--horizontal-pod-autoscaler-sync-period={HorizontalPodAutoscalerSyncPeriod}",
                $"--horizontal-pod-autoscaler-downscale-stabilization={HorizontalPodAutoscalerDownscaleStabilization}",
                "--profiling=false",
            ],
            cancellationToken);
        await StartAsync(
            ClusterProcess.Scheduler,
            binaries.Scheduler,
            [
                $"--kubeconfig={KubeconfigPath}",
                "--bind-address=127.0.0.1",
                "--port=0",
                "--secure-port=0",
                "--leader-elect=false",
                "--profiling=false",
            ],
            cancellationToken);
        await StartAsync(ClusterProcess.Kubelet, DotnetHost.Path, [typeof(LocalCluster).Assembly.Location, "kubelet", "--dir", Directory], cancellationToken);

        using var client = CreateClient();
        await WaitWhileRunningAsync(
            ClusterProcess.Kubelet,
            async token => (await client.CoreV1.ReadNodeAsync(State.NodeName, cancellationToken: token)).Status?.Conditions?
                .Any(condition => condition.Type == "Ready" && condition.Status == "True") == true,
            TimeSpan.FromMinutes(2),
            $"node {State.NodeName} to be Ready",
            cancellationToken);
        await RegisterMetricsApiAsync(client, certificates.CaCertificatePem, cancellationToken);
        await WaitWhileRunningAsync(
            ClusterProcess.ControllerManager,
            async token => await ServiceAccountExistsAsync(client, token),
            TimeSpan.FromMinutes(2),
            "the default service account",
            cancellationToken);
        logger.LogInformation("Local cluster {Prefix} is up after {Elapsed}", State.Prefix, stopwatch.Elapsed);
    }

    /// <summary>
    /// Points <c>v1beta1.metrics.k8s.io</c> at the kubelet process's metrics API: a Service without selector whose
    /// Endpoints name the bridge address, and waits until the API server proxies to it.
    /// </summary>
    private async Task RegisterMetricsApiAsync(IKubernetes client, string caPem, CancellationToken cancellationToken)
    {
        const string portName = "https";
        await client.CoreV1.CreateNamespacedServiceAsync(
            new V1Service
            {
                Metadata = new V1ObjectMeta { Name = MetricsApi.ServiceName },
                Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Name = portName, Port = 443, TargetPort = State.MetricsPort }] },
            },
            MetricsApi.ServiceNamespace,
            cancellationToken: cancellationToken);
        await client.CoreV1.CreateNamespacedEndpointsAsync(
            new V1Endpoints
            {
                Metadata = new V1ObjectMeta { Name = MetricsApi.ServiceName },
                Subsets =
                [
                    new V1EndpointSubset
                    {
                        Addresses = [new V1EndpointAddress { Ip = State.BridgeAddress }],
                        Ports = [new Corev1EndpointPort { Name = portName, Port = State.MetricsPort }],
                    },
                ],
            },
            MetricsApi.ServiceNamespace,
            cancellationToken: cancellationToken);
        var apiService = $"{MetricsApi.Version}.{MetricsApi.Group}";
        await client.ApiregistrationV1.CreateAPIServiceAsync(
            new V1APIService
            {
                Metadata = new V1ObjectMeta { Name = apiService },
                Spec = new V1APIServiceSpec
                {
                    Group = MetricsApi.Group,
                    Version = MetricsApi.Version,
                    Service = new Apiregistrationv1ServiceReference { Name = MetricsApi.ServiceName, NamespaceProperty = MetricsApi.ServiceNamespace, Port = 443 },
                    CaBundle = System.Text.Encoding.UTF8.GetBytes(caPem),
                    GroupPriorityMinimum = 100,
                    VersionPriority = 100,
                },
            },
            cancellationToken: cancellationToken);

        // Available comes first; the API server routes the group a few seconds later (until then: 404).
        await WaitWhileRunningAsync(
            ClusterProcess.Kubelet,
            async token =>
            {
                await client.CustomObjects.ListClusterCustomObjectAsync(MetricsApi.Group, MetricsApi.Version, "nodes", cancellationToken: token);
                return true;
            },
            TimeSpan.FromMinutes(1),
            $"APIService {apiService} to answer through the API server",
            cancellationToken);
    }

    private static async Task<bool> ServiceAccountExistsAsync(IKubernetes client, CancellationToken cancellationToken)
    {
        try
        {
            var account = await client.CoreV1.ReadNamespacedServiceAccountAsync("default", "default", cancellationToken: cancellationToken);

            // Pods are refused until the token controller gave the account its secret (1.20 admission).
            return account.Secrets is { Count: > 0 };
        }
        catch (HttpOperationException ex) when (ex.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private async Task StartEtcdAsync(CancellationToken cancellationToken)
    {
        var client = $"http://127.0.0.1:{State.EtcdClientPort.ToString(CultureInfo.InvariantCulture)}";
        var peer = $"http://127.0.0.1:{State.EtcdPeerPort.ToString(CultureInfo.InvariantCulture)}";
        await StartAsync(
            ClusterProcess.Etcd,
            KubernetesBinaries.Etcd,
            [
                "--name=local",
                $"--data-dir={PathIn("etcd")}",
                $"--listen-client-urls={client}",
                $"--advertise-client-urls={client}",
                $"--listen-peer-urls={peer}",
                $"--initial-advertise-peer-urls={peer}",
                $"--initial-cluster=local={peer}",
                "--initial-cluster-state=new",
                "--log-level=warn",
                "--quota-backend-bytes=4294967296",
            ],
            cancellationToken);
        using var http = new HttpClient();
        await WaitWhileRunningAsync(
            ClusterProcess.Etcd,
            async token => (await http.GetAsync($"{client}/health", token)).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60),
            "etcd to answer",
            cancellationToken);
    }

    private Task StartApiServerAsync(KubernetesBinaries binaries, string pki, CancellationToken cancellationToken) =>
        StartAsync(
            ClusterProcess.ApiServer,
            binaries.ApiServer,
            [
                $"--etcd-servers=http://127.0.0.1:{State.EtcdClientPort.ToString(CultureInfo.InvariantCulture)}",
                "--bind-address=127.0.0.1",
                $"--secure-port={State.ApiServerPort.ToString(CultureInfo.InvariantCulture)}",
                "--insecure-port=0",

                // Endpoints refuse loopback addresses, so the `kubernetes` Service advertises the bridge address.
                $"--advertise-address={State.BridgeAddress}",
                $"--tls-cert-file={Path.Combine(pki, "apiserver.crt")}",
                $"--tls-private-key-file={Path.Combine(pki, "apiserver.key")}",
                $"--token-auth-file={Path.Combine(pki, "tokens.csv")}",
                "--authorization-mode=Node,RBAC",
                $"--service-account-key-file={Path.Combine(pki, "sa.pub")}",
                $"--service-account-signing-key-file={Path.Combine(pki, "sa.key")}",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                $"--service-cluster-ip-range={ServiceClusterIpRange}",
                $"--enable-admission-plugins={string.Join(',', ApiServerPolicies.AdmissionPlugins)}",
                $"--admission-control-config-file={Path.Combine(pki, "admission.yaml")}",
                $"--audit-policy-file={Path.Combine(pki, "audit-policy.yaml")}",
                $"--audit-log-path={AuditLogPath}",
                "--audit-log-format=json",
                "--audit-log-maxsize=256",
                "--audit-log-maxbackup=20",
                "--allow-privileged=true",
                "--profiling=false",
                $"--cert-dir={pki}",

                // API aggregation: the API server proxies metrics.k8s.io to the kubelet process's metrics API with a
                // front-proxy client certificate and names the user in headers; it dials the Service's endpoint
                // directly (no kube-proxy here to route a cluster IP).
                $"--requestheader-client-ca-file={Path.Combine(pki, "front-proxy-ca.crt")}",
                $"--requestheader-allowed-names={ClusterCertificates.ProxyClientName}",
                "--requestheader-extra-headers-prefix=X-Remote-Extra-",
                "--requestheader-group-headers=X-Remote-Group",
                "--requestheader-username-headers=X-Remote-User",
                $"--proxy-client-cert-file={Path.Combine(pki, "front-proxy-client.crt")}",
                $"--proxy-client-key-file={Path.Combine(pki, "front-proxy-client.key")}",
                "--enable-aggregator-routing=true",
            ],
            cancellationToken);

    private async Task WaitForApiServerAsync(string server, X509Certificate2 ca, string token, CancellationToken cancellationToken)
    {
        using var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                if (certificate is null)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            },
        };
        using var http = new HttpClient(handler);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        await WaitWhileRunningAsync(
            ClusterProcess.ApiServer,
            async probeToken => (await http.GetAsync($"{server}/readyz", probeToken)).IsSuccessStatusCode,
            TimeSpan.FromMinutes(2),
            "kube-apiserver /readyz",
            cancellationToken,
            TimeSpan.FromMilliseconds(500));
    }

    /// <summary>Waits for a condition, but gives up at once when the process that should bring it about has exited.</summary>
    private async Task WaitWhileRunningAsync(
        string name,
        Func<CancellationToken, Task<bool>> condition,
        TimeSpan timeout,
        string description,
        CancellationToken cancellationToken,
        TimeSpan? interval = null)
    {
        var exited = false;
        await Eventually.UntilAsync(
            async token =>
            {
                exited = !ProcessSignals.IsAlive(State.Pids[name]);
                return exited || await condition(token);
            },
            timeout,
            description,
            cancellationToken,
            interval);
        if (exited)
        {
            throw new InvalidOperationException($"{name} exited while waiting for {description}; see {PathIn("logs", name + ".log")}");
        }
    }

    private async Task StartAsync(string name, string file, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string> { [ProcessSignals.ClusterMarker] = State.Prefix };
        var pid = await DetachedProcess.StartAsync(file, arguments, PathIn("logs", name + ".log"), environment, cancellationToken);
        State.Pids[name] = pid;
        State.Save(Directory);
        logger.LogInformation("Started {Process} (pid {Pid})", name, pid);
    }
}
