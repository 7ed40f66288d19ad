using System.Text.RegularExpressions;
using BlueGreenOperator.LocalCluster.Processes;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.LocalCluster.Networking;

/// <summary>
/// Removes the bridges, links and namespaces of local clusters that no longer have a single process,
/// e.g. when a test run was killed and its directory is gone, so their subnets can be used again.
/// </summary>
public static partial class StaleClusterSweep
{
    // A cluster claims its prefix a moment before its first process starts; do not take it for dead meanwhile.
    private static readonly TimeSpan ClaimGrace = TimeSpan.FromMinutes(2);

    public static async Task<IReadOnlyList<string>> RemoveAsync(ILogger logger, CancellationToken cancellationToken)
    {
        var links = await HostCommand.RunAsync("/usr/sbin/ip", ["-o", "link", "show"], cancellationToken);
        var namespaces = await HostCommand.RunAsync("/usr/sbin/ip", ["netns", "list"], cancellationToken);
        var candidates = ClusterName().Matches(links.Output + "\n" + namespaces.Output)
            .Select(match => match.Groups[1].Value)
            .ToHashSet(StringComparer.Ordinal);
        if (candidates.Count == 0)
        {
            return [];
        }

        var live = ProcessSignals.LivePrefixes();
        var removed = new List<string>();
        foreach (var prefix in candidates.Where(prefix => !live.Contains(prefix)))
        {
            var claim = Path.Combine(PodNetwork.ClaimDirectory, prefix);
            if (File.Exists(claim) && DateTime.UtcNow - File.GetLastWriteTimeUtc(claim) < ClaimGrace)
            {
                continue;
            }

            var owner = File.Exists(claim) ? await File.ReadAllTextAsync(claim, cancellationToken) : "an unknown directory";
            await PodNetwork.RemoveAllAsync(prefix, includeBridge: true, cancellationToken);
            PodNetwork.ReleaseClaim(prefix);
            logger.LogInformation("Removed the network of stale local cluster {Prefix} from {Directory}", prefix, owner);
            removed.Add(prefix);
        }

        return removed;
    }

    [GeneratedRegex(@"\b(bgc\d+)(?:br\b|v\d+\b|-[0-9a-f]{12}\b)")]
    private static partial Regex ClusterName();
}
