using System.Runtime.InteropServices;
using System.Text;

namespace BlueGreenOperator.LocalCluster.Processes;

/// <summary>Signals and finds host processes by pid and by the cluster marker in their environment.</summary>
public static partial class ProcessSignals
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>Environment variable every process of a local cluster carries, with the cluster prefix as value.</summary>
    public const string ClusterMarker = "BLUEGREEN_LOCAL_CLUSTER";

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    public static bool Send(int pid, int signal) => pid > 0 && Kill(pid, signal) == 0;

    public static bool IsAlive(int pid)
    {
        if (pid <= 0 || Kill(pid, 0) != 0)
        {
            return false;
        }

        // A zombie has exited already; only its parent has not collected it yet.
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault();
            return state != 'Z' && state != 'X';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>SIGTERM, wait up to <paramref name="grace"/>, then SIGKILL whatever is left.</summary>
    public static async Task TerminateAsync(IReadOnlyCollection<int> pids, TimeSpan grace, CancellationToken cancellationToken = default)
    {
        foreach (var pid in pids)
        {
            Send(pid, SigTerm);
        }

        var deadline = DateTime.UtcNow + grace;
        while (pids.Any(IsAlive) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, cancellationToken);
        }

        foreach (var pid in pids.Where(IsAlive))
        {
            Send(pid, SigKill);
        }

        var killDeadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (pids.Any(IsAlive) && DateTime.UtcNow < killDeadline)
        {
            await Task.Delay(50, cancellationToken);
        }
    }

    /// <summary>Pids of processes whose environment marks them as part of the cluster with this prefix.</summary>
    public static IReadOnlyList<int> FindMarked(string prefix)
    {
        var needle = Encoding.UTF8.GetBytes($"{ClusterMarker}={prefix}\0");
        var found = new List<int>();
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var environment = File.ReadAllBytes(Path.Combine(entry, "environ"));
                if (StartsWithOrContains(environment, needle))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked, or is not ours to read.
            }
        }

        return found;
    }

    public static bool HasMarker(int pid, string prefix)
    {
        try
        {
            var environment = File.ReadAllBytes($"/proc/{pid}/environ");
            return StartsWithOrContains(environment, Encoding.UTF8.GetBytes($"{ClusterMarker}={prefix}\0"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool StartsWithOrContains(byte[] environment, byte[] needle)
    {
        var span = environment.AsSpan();
        if (span.StartsWith(needle))
        {
            return true;
        }

        var withSeparator = new byte[needle.Length + 1];
        needle.CopyTo(withSeparator, 1);
        return span.IndexOf(withSeparator) >= 0;
    }
}
