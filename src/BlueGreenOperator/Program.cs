using BlueGreenOperator.Checks;
using BlueGreenOperator.Checks.Replay;
using BlueGreenOperator.Cluster;
using BlueGreenOperator.Hosting;
using BlueGreenOperator.Notifications;
using BlueGreenOperator.Reconciliation;
using BlueGreenOperator.Runtime;
using BlueGreenOperator.Telemetry;
using k8s;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.Configure<OperatorOptions>(builder.Configuration.GetSection(OperatorOptions.Section));
builder.Logging.AddSimpleConsole(o =>
{
    o.IncludeScopes = true;
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss.fff ";
});

var settings = builder.Configuration.GetSection(OperatorOptions.Section).Get<OperatorOptions>() ?? new OperatorOptions();
ListenAddress listen;
try
{
    listen = ListenAddress.Parse(settings.Listen);
}
catch (FormatException e)
{
    Console.Error.WriteLine($"bluegreen-operator: invalid Operator__Listen: {e.Message}");
    return 2;
}

if (settings.Notifications.Problems() is { Count: > 0 } notificationProblems)
{
    Console.Error.WriteLine($"bluegreen-operator: invalid Operator__Notifications: {string.Join("; ", notificationProblems)}");
    return 2;
}
var electionOptions = settings.LeaderElection.ToOptions();
// The write fence sits outside the request counter, so that the counter counts only what was really sent.
var fence = new WriteFence { TestDelay = TestWriteDelay(builder.Configuration) };
var requestCounter = new ApiRequestCounter();
var client = new Kubernetes(KubernetesConfiguration.Load(settings.Kubeconfig), fence, requestCounter);
ApiRequestMetrics.Track(requestCounter);
var leadership = new Leadership(electionOptions.RenewDeadline);
if (electionOptions.Enabled)
    fence.Guard(leadership, electionOptions.LeaseNamespace, electionOptions.LeaseName);

builder.Services.AddSingleton<IKubernetes>(client);
builder.Services.AddSingleton(client);
builder.Services.AddSingleton(requestCounter);
builder.Services.AddSingleton(fence);
builder.Services.AddSingleton(sp => new LeaderElection(client, electionOptions, sp.GetRequiredService<ILogger<LeaderElection>>(), leadership));
builder.Services.AddSingleton(sp => new OperatorHealth(HealthBounds.From(settings.Health), TimeProvider.System));
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<ClusterCaches>();
builder.Services.AddSingleton<IClusterState, ClusterState>();
builder.Services.AddSingleton<IClusterWrites, ClusterAccess>();
builder.Services.AddSingleton<ReconcileTrigger>();
builder.Services.AddSingleton(_ => SmokeTestRunner.CreateHttpClient());
builder.Services.AddSingleton(_ => new PrometheusClient(string.IsNullOrEmpty(settings.PrometheusUrl) ? null : new Uri(settings.PrometheusUrl)));
builder.Services.AddSingleton(CheckLimits.From(settings.CheckBodyLimitBytes));
builder.Services.AddSingleton<ICheckSecrets, KubernetesCheckSecrets>();
builder.Services.AddSingleton<ICheckJobs, KubernetesCheckJobs>();
builder.Services.AddSingleton<SmokeTestRunner>();
builder.Services.AddSingleton<IReplayData, KubernetesReplayData>();
builder.Services.AddSingleton<ReplayRunner>();
builder.Services.AddSingleton<ICheckRunner, CheckRunnerByKind>();
builder.Services.AddSingleton(sp => new CheckCoordinator(
    sp.GetRequiredService<ICheckRunner>(),
    Math.Max(1, settings.CheckConcurrency),
    sp.GetRequiredService<ReconcileTrigger>().Wake,
    settings.CheckConcurrencyPerNamespace > 0 ? settings.CheckConcurrencyPerNamespace : null,
    sp.GetRequiredService<ILogger<CheckCoordinator>>()));
builder.Services.AddSingleton<INotifier>(sp => new WebhookNotifier(
    settings.Notifications, new HttpClient { Timeout = Timeout.InfiniteTimeSpan }, sp.GetRequiredService<ILogger<WebhookNotifier>>()));
builder.Services.AddSingleton<IReconciler, RolloutReconciler>();
builder.Services.AddHostedService<OperatorService>();
builder.Services.AddHostedService(sp => new MemoryTrim(TrimPolicy.From(settings.MemoryTrimAfterMiB), TimeProvider.System, sp.GetRequiredService<ILogger<MemoryTrim>>()));
builder.Services.AddSingleton(sp => new ProbeServer(listen, sp.GetRequiredService<OperatorHealth>(), sp.GetRequiredService<ILogger<ProbeServer>>()));
builder.Services.AddHostedService(sp => sp.GetRequiredService<ProbeServer>());

var otel = builder.Services.AddOpenTelemetry()
    .ConfigureResource(r => r.AddService("bluegreen-operator"))
    .WithMetrics(m =>
    {
        m.AddMeter(OperatorTelemetry.Name).AddPrometheusEndpoint(listen);
        if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            m.AddOtlpExporter();
    })
    .WithTracing(t =>
    {
        t.AddSource(OperatorTelemetry.Name);
        if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            t.AddOtlpExporter();
    });
_ = otel;

var host = builder.Build();
try
{
    // The probes take the port before the host starts the metrics exporter, whose listener then joins their socket.
    host.Services.GetRequiredService<ProbeServer>().Listen();
}
catch (InvalidOperationException e)
{
    Console.Error.WriteLine($"bluegreen-operator: {e.Message}");
    return 1;
}

host.Run();
return 0;

// For end-to-end tests only (off by default): every write but the Lease's waits this long before the write fence
// looks, so that a test can freeze a leader while one of its writes is pending.
static TimeSpan TestWriteDelay(IConfiguration configuration) =>
    int.TryParse(configuration["BLUEGREEN_TEST_WRITE_DELAY_MS"], out var milliseconds) && milliseconds > 0
        ? TimeSpan.FromMilliseconds(milliseconds)
        : TimeSpan.Zero;
