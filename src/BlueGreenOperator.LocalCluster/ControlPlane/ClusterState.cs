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

    public int EtcdClientPort { get; init; }

    public int EtcdPeerPort { get; init; }

    public int ApiServerPort { get; init; }

    public string? ModelServerDll { get; init; }

    public Dictionary<string, int> Pids { get; init; } = [];

    public string Bridge => $"{Prefix}br";

    public string SubnetBase => $"10.213.{NetworkIndex}";

    public string BridgeAddress => $"{SubnetBase}.1";

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
