using System.Globalization;
using BlueGreenOperator.LocalCluster.ControlPlane;
using BlueGreenOperator.LocalCluster.Processes;

namespace BlueGreenOperator.LocalCluster.Networking;

/// <summary>A pod's network: its namespace, the host end of its veth pair, and its address on the bridge.</summary>
public sealed record PodSandbox(string Namespace, string HostLink, string Address, int Host);

/// <summary>
/// The cluster's bridge (holding .1 of the pod subnet on the host) and one network namespace per pod,
/// each joined to the bridge by a veth pair. Every name starts with the cluster prefix.
/// </summary>
public sealed class PodNetwork(ClusterState state)
{
    private const string Ip = "/usr/sbin/ip";
    private const int FirstPodHost = 2;

    // One script and two batched `ip` runs per pod: process starts are what 50 pods on 2 cores wait for.
    private const string CreateScript = """
        set -e
        ns=$1; link=$2; bridge=$3; address=$4; gateway=$5; mac=$6; prefix=$7
        if [ -e "/run/netns/$ns" ]; then ip netns del "$ns"; fi
        if [ -e "/sys/class/net/$link" ]; then ip link del "$link"; fi
        ip -batch - <<EOF
        netns add $ns
        link add $link type veth peer name eth0 netns $ns
        link set $link master $bridge up
        EOF
        ip -n "$ns" -batch - <<EOF
        link set eth0 address $mac
        addr add $address/$prefix dev eth0
        link set eth0 up
        link set lo up
        route add default via $gateway
        EOF
        ip neigh flush to "$address" dev "$bridge" 2>/dev/null || true
        """;

    private readonly Lock gate = new();
    private readonly HashSet<int> usedHosts = [];

    public string BridgeAddress => state.BridgeAddress;

    /// <summary>Machine-wide record of which directory claimed which prefix, so a sweep can tell a starting cluster from a dead one.</summary>
    public const string ClaimDirectory = "/run/bluegreen-local-cluster";

    /// <summary>Claims the first free network index by creating its bridge; creating a link is atomic, so two clusters never share one.</summary>
    public static async Task<int> ClaimBridgeAsync(string clusterDirectory, CancellationToken cancellationToken)
    {
        for (var index = 1; index <= 250; index++)
        {
            var bridge = ClusterState.PrefixFor(index) + "br";
            var created = await HostCommand.RunAsync(Ip, ["link", "add", "name", bridge, "type", "bridge"], cancellationToken);
            if (!created.Succeeded)
            {
                continue;
            }

            Directory.CreateDirectory(ClaimDirectory);
            await File.WriteAllTextAsync(Path.Combine(ClaimDirectory, ClusterState.PrefixFor(index)), clusterDirectory, cancellationToken);
            await HostCommand.RunCheckedAsync(Ip, ["addr", "add", ClusterState.BridgeCidrFor(index), "dev", bridge], cancellationToken);
            await HostCommand.RunCheckedAsync(Ip, ["link", "set", bridge, "up"], cancellationToken);
            await MakeRoomForNeighboursAsync(cancellationToken);
            return index;
        }

        throw new InvalidOperationException("No free network index for a local cluster bridge (all 250 are in use)");
    }

    /// <summary>
    /// Raises (never lowers) the host's neighbour table limits so that every pod of a full subnet keeps its ARP entry
    /// on the bridge. Linux's defaults (soft 512, hard 1,024 entries for the whole host) dropped the entries of pods
    /// past about 600: the kernel logged "neighbor table overflow" and their readiness probes timed out.
    /// </summary>
    static async Task MakeRoomForNeighboursAsync(CancellationToken cancellationToken)
    {
        var wanted = new[] { ("gc_thresh1", ClusterState.PodSubnetHosts), ("gc_thresh2", 2 * ClusterState.PodSubnetHosts), ("gc_thresh3", 4 * ClusterState.PodSubnetHosts) };
        foreach (var (name, least) in wanted.Reverse())
        {
            var path = $"/proc/sys/net/ipv4/neigh/default/{name}";
            if (int.TryParse((await File.ReadAllTextAsync(path, cancellationToken)).Trim(), CultureInfo.InvariantCulture, out var current) && current >= least)
                continue;
            await File.WriteAllTextAsync(path, least.ToString(CultureInfo.InvariantCulture), cancellationToken);
        }
    }

    public static string NamespaceFor(string prefix, string podUid) => $"{prefix}-{podUid.Replace("-", "", StringComparison.Ordinal)[..12]}";

    public string NamespaceFor(string podUid) => NamespaceFor(state.Prefix, podUid);

    public async Task<PodSandbox> CreateSandboxAsync(string podUid, CancellationToken cancellationToken)
    {
        var host = AllocateHost();
        var sandbox = new PodSandbox(
            NamespaceFor(podUid),
            $"{state.Prefix}v{host.ToString(CultureInfo.InvariantCulture)}",
            state.PodAddress(host),
            host);
        var result = await HostCommand.ShellAsync(
            CreateScript,
            [sandbox.Namespace, sandbox.HostLink, state.Bridge, sandbox.Address, state.BridgeAddress, MacFor(sandbox.Address), ClusterState.PodPrefixLength.ToString(CultureInfo.InvariantCulture)],
            cancellationToken);
        if (!result.Succeeded)
        {
            await DeleteSandboxAsync(sandbox, CancellationToken.None);
            throw new InvalidOperationException($"Could not create the network namespace {sandbox.Namespace}: {result.Error.Trim()}");
        }

        return sandbox;
    }

    /// <summary>
    /// A locally administered MAC derived from the address: a pod that reuses an address also reuses its MAC, so the
    /// host's neighbour entry of the previous pod stays right (a stale one made probes fail for up to a minute).
    /// </summary>
    public static string MacFor(string address)
    {
        var bytes = System.Net.IPAddress.Parse(address).GetAddressBytes();
        return "02:42:" + string.Join(':', bytes.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }

    public async Task DeleteSandboxAsync(PodSandbox sandbox, CancellationToken cancellationToken)
    {
        // Deleting the namespace destroys eth0 inside it, which takes the host end of the pair with it.
        await HostCommand.RunAsync(Ip, ["netns", "del", sandbox.Namespace], cancellationToken);
        await HostCommand.RunAsync(Ip, ["link", "del", sandbox.HostLink], cancellationToken);
        lock (gate)
        {
            usedHosts.Remove(sandbox.Host);
        }
    }

    /// <summary>Pids of every process living in the pod's network namespace.</summary>
    public static async Task<IReadOnlyList<int>> ProcessesInAsync(string networkNamespace, CancellationToken cancellationToken)
    {
        var result = await HostCommand.RunAsync(Ip, ["netns", "pids", networkNamespace], cancellationToken);
        return result.Succeeded
            ? result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(line => int.Parse(line, CultureInfo.InvariantCulture)).ToList()
            : [];
    }

    public static async Task<IReadOnlyList<string>> ListNamespacesAsync(string prefix, CancellationToken cancellationToken)
    {
        var result = await HostCommand.RunAsync(Ip, ["netns", "list"], cancellationToken);
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ')[0])
            .Where(name => name.StartsWith(prefix + "-", StringComparison.Ordinal))
            .ToList();
    }

    public static async Task<IReadOnlyList<string>> ListLinksAsync(string prefix, CancellationToken cancellationToken)
    {
        var result = await HostCommand.RunAsync(Ip, ["-o", "link", "show"], cancellationToken);
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 3)[1].Trim().Split('@')[0])
            .Where(name => name == prefix + "br" || IsPodLink(prefix, name))
            .ToList();
    }

    /// <summary>Removes every pod namespace (with the processes in it) and link carrying the prefix, bridge included when asked.</summary>
    public static async Task RemoveAllAsync(string prefix, bool includeBridge, CancellationToken cancellationToken)
    {
        foreach (var networkNamespace in await ListNamespacesAsync(prefix, cancellationToken))
        {
            var pids = await ProcessesInAsync(networkNamespace, cancellationToken);
            await ProcessSignals.TerminateAsync(pids, TimeSpan.FromSeconds(2), cancellationToken);
            await HostCommand.RunAsync(Ip, ["netns", "del", networkNamespace], cancellationToken);
        }

        foreach (var link in await ListLinksAsync(prefix, cancellationToken))
        {
            if (includeBridge || link != prefix + "br")
            {
                await HostCommand.RunAsync(Ip, ["link", "del", link], cancellationToken);
            }
        }
    }

    public static void ReleaseClaim(string prefix)
    {
        var claim = Path.Combine(ClaimDirectory, prefix);
        if (File.Exists(claim))
        {
            File.Delete(claim);
        }
    }

    private static bool IsPodLink(string prefix, string name) =>
        name.StartsWith(prefix + "v", StringComparison.Ordinal) && name[(prefix.Length + 1)..].All(char.IsAsciiDigit);

    private int AllocateHost()
    {
        lock (gate)
        {
            for (var host = FirstPodHost; host <= ClusterState.PodSubnetHosts; host++)
            {
                if (usedHosts.Add(host))
                {
                    return host;
                }
            }
        }

        throw new InvalidOperationException("The pod subnet is full");
    }
}
