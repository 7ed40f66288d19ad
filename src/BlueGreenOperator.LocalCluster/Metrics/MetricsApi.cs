using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using BlueGreenOperator.LocalCluster.ControlPlane;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.LocalCluster.Metrics;

/// <summary>
/// The resource metrics API (<c>metrics.k8s.io/v1beta1</c>: PodMetrics and NodeMetrics, list and get, by namespace and
/// label selector) as an aggregated API of the local cluster, which the API server proxies to (what metrics-server
/// is in a real cluster, fed here by the processes the local kubelet started). A container's usage is its process
/// tree's: CPU from <c>/proc/&lt;pid&gt;/stat</c> utime + stime between two samples <see cref="Resolution"/> apart,
/// memory the tree's resident set. Only the API server may call it: a client certificate of the front-proxy CA named
/// <see cref="ClusterCertificates.ProxyClientName"/>; the API server has authenticated and authorized the user already.
/// </summary>
public sealed class MetricsApi(IKubernetes client, ClusterState cluster, string pkiDirectory, ILogger logger)
{
    public const string Group = "metrics.k8s.io";
    public const string Version = "v1beta1";
    public const string ServiceName = "local-metrics";
    public const string ServiceNamespace = "kube-system";

    /// <summary>How often processes are sampled, and so the window a usage covers.</summary>
    public static readonly TimeSpan Resolution = TimeSpan.FromSeconds(5);

    private const string GroupVersion = Group + "/" + Version;
    private const string ContainerIdScheme = "local://";

    private readonly Lock gate = new();
    private UsageWindow? window;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        using var serving = X509Certificate2.CreateFromPemFile(Path.Combine(pkiDirectory, "metrics.crt"), Path.Combine(pkiDirectory, "metrics.key"));
        using var frontProxyCa = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(pkiDirectory, "front-proxy-ca.crt"), cancellationToken));
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Parse(cluster.BridgeAddress), cluster.MetricsPort, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = serving,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateValidation = (certificate, _, _) => IsApiServer(certificate, frontProxyCa),
        })));
        await using var app = builder.Build();
        const string root = "/apis/" + GroupVersion;
        app.MapGet("/healthz", () => "ok");
        app.MapGet("/readyz", () => "ok");
        app.MapGet(root, Discovery);
        app.MapGet(root + "/nodes", (HttpContext http, CancellationToken token) => NodesAsync(http, null, token));
        app.MapGet(root + "/nodes/{name}", (HttpContext http, string name, CancellationToken token) => NodesAsync(http, name, token));
        app.MapGet(root + "/pods", (HttpContext http, CancellationToken token) => PodsAsync(http, null, null, token));
        app.MapGet(root + "/namespaces/{ns}/pods", (HttpContext http, string ns, CancellationToken token) => PodsAsync(http, ns, null, token));
        app.MapGet(root + "/namespaces/{ns}/pods/{name}", (HttpContext http, string ns, string name, CancellationToken token) => PodsAsync(http, ns, name, token));

        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch (IOException ex)
        {
            logger.LogError(ex, "Metrics API could not listen on {Address}:{Port}", cluster.BridgeAddress, cluster.MetricsPort);
            throw;
        }

        logger.LogInformation("Metrics API listening on {Address}:{Port}", cluster.BridgeAddress, cluster.MetricsPort);
        try
        {
            await SampleAsync(cancellationToken);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
        }
    }

    private static bool IsApiServer(X509Certificate2 certificate, X509Certificate2 frontProxyCa)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(frontProxyCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate) && certificate.GetNameInfo(X509NameType.SimpleName, false) == ClusterCertificates.ProxyClientName;
    }

    private async Task SampleAsync(CancellationToken cancellationToken)
    {
        var earlier = ProcessTable.Read();
        using var timer = new PeriodicTimer(Resolution);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                var latest = ProcessTable.Read();
                lock (gate)
                {
                    window = new UsageWindow(earlier, latest);
                }

                earlier = latest;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private UsageWindow? CurrentWindow()
    {
        lock (gate)
        {
            return window;
        }
    }

    private static IResult Discovery() => Results.Json(new JsonObject
    {
        ["kind"] = "APIResourceList",
        ["apiVersion"] = "v1",
        ["groupVersion"] = GroupVersion,
        ["resources"] = new JsonArray(Resource("nodes", "NodeMetrics", namespaced: false), Resource("pods", "PodMetrics", namespaced: true)),
    });

    private static JsonObject Resource(string name, string kind, bool namespaced) => new()
    {
        ["name"] = name,
        ["singularName"] = "",
        ["namespaced"] = namespaced,
        ["kind"] = kind,
        ["verbs"] = new JsonArray("get", "list"),
    };

    private async Task<IResult> PodsAsync(HttpContext http, string? ns, string? name, CancellationToken cancellationToken)
    {
        if (CurrentWindow() is not { } usage)
        {
            return name is null ? List("PodMetricsList", []) : NotFound("pods", name);
        }

        try
        {
            IEnumerable<V1Pod> pods = name is not null
                ? [await client.CoreV1.ReadNamespacedPodAsync(name, ns, cancellationToken: cancellationToken)]
                : ns is null
                    ? (await client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: http.Request.Query["fieldSelector"], labelSelector: http.Request.Query["labelSelector"], cancellationToken: cancellationToken)).Items
                    : (await client.CoreV1.ListNamespacedPodAsync(ns, fieldSelector: http.Request.Query["fieldSelector"], labelSelector: http.Request.Query["labelSelector"], cancellationToken: cancellationToken)).Items;
            var items = pods.Select(pod => PodMetrics(pod, usage)).OfType<JsonObject>().ToList();
            return name is null ? List("PodMetricsList", items) : items.Count == 1 ? Results.Json(items[0]) : NotFound("pods", name);
        }
        catch (HttpOperationException ex)
        {
            return ex.Response.StatusCode == HttpStatusCode.NotFound && name is not null ? NotFound("pods", name) : Failed(ex);
        }
    }

    /// <summary>A pod's metrics when every container of it has run a whole window (as metrics-server, a partial pod is left out).</summary>
    private static JsonObject? PodMetrics(V1Pod pod, UsageWindow usage)
    {
        if (ContainerUsages(pod, usage) is not { } containers)
        {
            return null;
        }

        var item = Item("PodMetrics", pod.Metadata, usage);
        item["metadata"]!["namespace"] = pod.Metadata.NamespaceProperty;
        item["containers"] = new JsonArray([.. containers.Select(container => new JsonObject { ["name"] = container.Name, ["usage"] = Quantities(container.Usage) })]);
        return item;
    }

    /// <summary>The usage of each container's process tree (its pid is in the container ID); null unless all have a whole window.</summary>
    private static List<(string Name, ResourceUsage Usage)>? ContainerUsages(V1Pod pod, UsageWindow usage)
    {
        var statuses = pod.Status?.ContainerStatuses ?? [];
        if (pod.Status?.Phase != "Running" || statuses.Count == 0)
        {
            return null;
        }

        var containers = new List<(string, ResourceUsage)>();
        foreach (var status in statuses)
        {
            if (status.State?.Running is null
                || status.ContainerID is not { } id
                || !id.StartsWith(ContainerIdScheme, StringComparison.Ordinal)
                || !int.TryParse(id[ContainerIdScheme.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                || usage.Tree(pid) is not { } container)
            {
                return null;
            }

            containers.Add((status.Name, container));
        }

        return containers;
    }

    private async Task<IResult> NodesAsync(HttpContext http, string? name, CancellationToken cancellationToken)
    {
        if (CurrentWindow() is not { } usage)
        {
            return name is null ? List("NodeMetricsList", []) : NotFound("nodes", name);
        }

        try
        {
            IEnumerable<V1Node> nodes = name is not null
                ? [await client.CoreV1.ReadNodeAsync(name, cancellationToken: cancellationToken)]
                : (await client.CoreV1.ListNodeAsync(labelSelector: http.Request.Query["labelSelector"], cancellationToken: cancellationToken)).Items;

            var items = new List<JsonObject>();
            foreach (var node in nodes.Where(node => node.Metadata.Name == cluster.NodeName || node.Metadata.Name == cluster.SpotNodeName))
            {
                var item = Item("NodeMetrics", node.Metadata, usage);
                item["usage"] = Quantities(node.Metadata.Name == cluster.NodeName ? usage.Machine : await PodsOnAsync(node.Metadata.Name, usage, cancellationToken));
                items.Add(item);
            }

            return name is null ? List("NodeMetricsList", items) : items.Count == 1 ? Results.Json(items[0]) : NotFound("nodes", name);
        }
        catch (HttpOperationException ex)
        {
            return ex.Response.StatusCode == HttpStatusCode.NotFound && name is not null ? NotFound("nodes", name) : Failed(ex);
        }
    }

    /// <summary>
    /// Both nodes are this one machine: the first reports the machine's usage, the spot node the sum of its pods'
    /// (so that what runs there shows there).
    /// </summary>
    private async Task<ResourceUsage> PodsOnAsync(string node, UsageWindow usage, CancellationToken cancellationToken)
    {
        var pods = await client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: $"spec.nodeName={node}", cancellationToken: cancellationToken);
        var containers = pods.Items.SelectMany(pod => ContainerUsages(pod, usage) ?? []).Select(container => container.Usage).ToList();
        return new ResourceUsage(containers.Sum(container => container.Cores), containers.Sum(container => container.MemoryBytes));
    }

    private static JsonObject Item(string kind, V1ObjectMeta metadata, UsageWindow usage) => new()
    {
        ["kind"] = kind,
        ["apiVersion"] = GroupVersion,
        ["metadata"] = new JsonObject
        {
            ["name"] = metadata.Name,
            ["creationTimestamp"] = usage.Latest.At.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["labels"] = metadata.Labels is { } labels ? new JsonObject(labels.Select(label => KeyValuePair.Create(label.Key, (JsonNode?)label.Value))) : null,
        },
        ["timestamp"] = usage.Latest.At.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["window"] = usage.Length.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s",
    };

    private static JsonObject Quantities(ResourceUsage usage) =>
        new(usage.ToQuantities().Select(pair => KeyValuePair.Create(pair.Key, (JsonNode?)pair.Value)));

    private static IResult List(string kind, List<JsonObject> items) => Results.Json(new JsonObject
    {
        ["kind"] = kind,
        ["apiVersion"] = GroupVersion,
        ["metadata"] = new JsonObject(),
        ["items"] = new JsonArray([.. items]),
    });

    private static IResult NotFound(string resource, string name) => Status(HttpStatusCode.NotFound, "NotFound", $"{resource}.{Group} \"{name}\" not found", resource, name);

    private IResult Failed(HttpOperationException ex)
    {
        logger.LogWarning("Metrics API could not read from the API server: {Status}", ex.Response.StatusCode);
        return Status(HttpStatusCode.ServiceUnavailable, "ServiceUnavailable", "reading pods or nodes from the API server failed", null, null);
    }

    private static IResult Status(HttpStatusCode code, string reason, string message, string? resource, string? name) => Results.Json(
        new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
            ["details"] = new JsonObject { ["name"] = name, ["group"] = Group, ["kind"] = resource },
            ["code"] = (int)code,
        },
        statusCode: (int)code);
}
