using System.Globalization;
using System.Net;
using System.Text.Json;

namespace BlueGreenOperator.LocalCluster.ControlPlane;

/// <summary>
/// What `up` made, recorded in DIR/cluster.json so that `down` (or a later `up`) can remove it,
/// and so that the kubelet process knows its network.
/// </summary>
public sealed record ClusterState
{
    public const string FileName = "cluster.json";

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Names every process marker, network namespace and link of this cluster.</summary>
    public required string Prefix { get; init; }

    public required int NetworkIndex { get; init; }

    public required string NodeName { get; init; }

    /// <summary>The second node the kubelet registers: labelled and tainted as spot capacity, for placement tests.</summary>
    public string SpotNodeName => NodeName + "-spot";

    public int EtcdClientPort { get; init; }

    public int EtcdPeerPort { get; init; }

    public int ApiServerPort { get; init; }

    /// <summary>The port of the metrics API the kubelet process serves on the bridge address (0: none).</summary>
    public int MetricsPort { get; init; }

    public string? ModelServerDll { get; init; }

    public Dictionary<string, int> Pids { get; init; } = [];

    public string Bridge => $"{Prefix}br";

    /// <summary>Length of the prefix of a cluster's pod subnet: a /20 holds 4,094 addresses, enough for a thousand objects mid-rollout.</summary>
    public const int PodPrefixLength = 20;

    /// <summary>Addresses of a pod subnet: host numbers 1 (the bridge) to 4094.</summary>
    public const int PodSubnetHosts = (1 << (32 - PodPrefixLength)) - 2;

    /// <summary>The pod subnet in CIDR notation: network index N takes <c>10.(224 + N / 16).((N % 16) * 16).0/20</c>.</summary>
    public string PodSubnet => $"{PodAddressFor(NetworkIndex, 0)}/{PodPrefixLength.ToString(CultureInfo.InvariantCulture)}";

    public string BridgeAddress => PodAddress(1);

    /// <summary>The address of host number <paramref name="host"/> (1 to <see cref="PodSubnetHosts"/>) in the pod subnet.</summary>
    public string PodAddress(int host) => PodAddressFor(NetworkIndex, host);

    /// <summary>The bridge's address with the subnet's prefix length, as `ip addr add` takes it.</summary>
    public static string BridgeCidrFor(int networkIndex) => $"{PodAddressFor(networkIndex, 1)}/{PodPrefixLength.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>True when <paramref name="address"/> lies in this cluster's pod subnet.</summary>
    public bool InPodSubnet(string address)
    {
        var network = IPAddress.Parse(PodAddressFor(NetworkIndex, 0)).GetAddressBytes();
        var candidate = IPAddress.Parse(address).GetAddressBytes();
        return candidate[0] == network[0] && candidate[1] == network[1] && (candidate[2] & 0xF0) == network[2];
    }

    // Indexes 1 to 250 give 10.224.16.0/20 to 10.239.160.0/20: beside, never over, what older clusters used (10.213.N.0/24).
    private static string PodAddressFor(int networkIndex, int host)
    {
        var third = ((networkIndex % 16) * 16) + (host >> 8);
        return string.Create(CultureInfo.InvariantCulture, $"10.{224 + (networkIndex / 16)}.{third}.{host & 0xFF}");
    }

    public static string PrefixFor(int networkIndex) => $"bgc{networkIndex}";

    public static ClusterState? TryLoad(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<ClusterState>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Save(string directory)
    {
        var path = Path.Combine(directory, FileName);
        File.WriteAllText(path + ".tmp", JsonSerializer.Serialize(this, Json));
        File.Move(path + ".tmp", path, overwrite: true);
    }
}
