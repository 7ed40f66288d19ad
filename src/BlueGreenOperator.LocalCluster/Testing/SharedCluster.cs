using BlueGreenOperator.LocalCluster.ControlPlane;
using BlueGreenOperator.LocalCluster.Install;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.LocalCluster.Testing;

/// <summary>
/// One local cluster per test run: started by a test framework's set-up hook, stopped by its
/// tear-down, and also on process exit so an interrupted run leaves nothing behind.
/// </summary>
public static class SharedCluster
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static ControlPlane.LocalCluster? current;
    private static ILogger? log;

    public static ControlPlane.LocalCluster Current =>
        current ?? throw new InvalidOperationException("The shared local cluster is not started; start it in a set-up fixture.");

    /// <summary>Why a local cluster cannot run here, or null when it can.</summary>
    public static string? UnavailableReason(LocalClusterOptions? options = null)
    {
        if (!OperatingSystem.IsLinux())
        {
            return "the local cluster needs Linux network namespaces";
        }

        if (Environment.UserName != "root")
        {
            return "the local cluster creates network namespaces and links, which needs root";
        }

        var binaries = options?.BinaryDirectory is { } directory ? new KubernetesBinaries(directory) : KubernetesBinaries.FromCache();
        return binaries.IsComplete && File.Exists(KubernetesBinaries.Etcd)
            ? null
            : $"Kubernetes binaries are not installed in {binaries.Directory} (run `dotnet run --project src/BlueGreenOperator.LocalCluster -- install`)";
    }

    public static async Task<ControlPlane.LocalCluster> StartAsync(string directory, LocalClusterOptions options, ILogger logger, CancellationToken cancellationToken = default)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (current is not null)
            {
                return current;
            }

            log = logger;
            AppDomain.CurrentDomain.ProcessExit += StopOnExit;
            Console.CancelKeyPress += StopOnCancel;
            current = await ControlPlane.LocalCluster.StartAsync(directory, options, logger, cancellationToken);
            return current;
        }
        finally
        {
            Gate.Release();
        }
    }

    public static async Task StopAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (current is not null)
            {
                await current.StopAsync(keepLogs: true);
                current = null;
            }
        }
        finally
        {
            AppDomain.CurrentDomain.ProcessExit -= StopOnExit;
            Console.CancelKeyPress -= StopOnCancel;
            Gate.Release();
        }
    }

    private static void StopOnExit(object? sender, EventArgs e) => StopNow();

    private static void StopOnCancel(object? sender, ConsoleCancelEventArgs e) => StopNow();

    private static void StopNow()
    {
        var cluster = current;
        current = null;
        if (cluster is not null)
        {
            log?.LogWarning("Test process exiting; stopping local cluster {Prefix}", cluster.State.Prefix);
            cluster.StopAsync(keepLogs: true).GetAwaiter().GetResult();
        }
    }
}
