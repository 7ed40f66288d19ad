using System.Diagnostics;
using System.Runtime.InteropServices;
using BlueGreenOperator.LocalCluster.Benchmarks;
using BlueGreenOperator.LocalCluster.ControlPlane;
using BlueGreenOperator.LocalCluster.Install;
using BlueGreenOperator.LocalCluster.Kubelet;
using BlueGreenOperator.LocalCluster.Metrics;
using BlueGreenOperator.LocalCluster.Networking;
using BlueGreenOperator.LocalCluster.Processes;
using k8s;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.LocalCluster;

/// <summary>The command line: install, up, down, bench-pods, and the hidden kubelet command `up` starts.</summary>
internal static class Program
{
    private const string DefaultDirectory = ".local-cluster";

    public static async Task<int> Main(string[] args)
    {
        using var loggerFactory = LoggerFactory.Create(builder => builder
            .AddSimpleConsole(options =>
            {
                options.SingleLine = true;
                options.TimestampFormat = "HH:mm:ss.fff ";
            })
            .SetMinimumLevel(LogLevel.Information));
        var logger = loggerFactory.CreateLogger("local-cluster");
        using var stop = new CancellationTokenSource();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });

        var command = args.FirstOrDefault();
        var directory = Option(args, "--dir") ?? DefaultDirectory;
        try
        {
            switch (command)
            {
                case "install":
                    {
                        var stopwatch = Stopwatch.StartNew();
                        await new BinaryInstaller(KubernetesBinaries.FromCache(), logger).InstallAsync(stop.Token, args.Contains("--source-only"));
                        Console.WriteLine($"install took {stopwatch.Elapsed.TotalSeconds:F1} s");
                        return 0;
                    }

                case "up":
                    {
                        var stopwatch = Stopwatch.StartNew();
                        var cluster = await ControlPlane.LocalCluster.StartAsync(directory, new LocalClusterOptions(), logger, stop.Token);
                        Console.WriteLine($"kubeconfig: {cluster.KubeconfigPath}");
                        Console.WriteLine($"up took {stopwatch.Elapsed.TotalSeconds:F1} s");
                        return 0;
                    }

                case "down":
                    await ControlPlane.LocalCluster.DownAsync(directory, logger, stop.Token);
                    await StaleClusterSweep.RemoveAsync(logger, stop.Token);
                    return 0;

                case "kubelet":
                    return await RunKubeletAsync(directory, logger, stop.Token);

                case "bench-pods":
                    {
                        var cluster = ControlPlane.LocalCluster.Attach(directory, logger);
                        var count = int.Parse(Option(args, "--count") ?? "50", System.Globalization.CultureInfo.InvariantCulture);
                        var image = Option(args, "--image") ?? ImageCatalog.HttpImage;
                        var probePath = Option(args, "--probe-path") ?? "/";
                        var report = await new PodStartupBenchmark(cluster, image, probePath, logger).RunAsync(count, stop.Token);
                        Console.WriteLine(report);
                        return 0;
                    }

                default:
                    Console.Error.WriteLine("usage: install [--source-only] | up [--dir DIR] | down [--dir DIR] | bench-pods [--count N] [--image IMAGE] [--probe-path PATH] [--dir DIR]");
                    return 2;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 130;
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            logger.LogError(ex, "{Command} failed", command);
            return 1;
        }
    }

    private static async Task<int> RunKubeletAsync(string directory, ILogger logger, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(directory);
        var state = ClusterState.TryLoad(full) ?? throw new InvalidOperationException($"No cluster state in {full}");
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Path.Combine(full, "kubeconfig")));
        var images = new ImageCatalog(state.ModelServerDll, DotnetHost.Path);
        var metrics = new MetricsApi(client, state, Path.Combine(full, "pki"), logger).RunAsync(cancellationToken);
        await new LocalKubelet(client, state, Path.Combine(full, "logs", "pods"), images, logger).RunAsync(cancellationToken);
        await metrics;
        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
    }
}
