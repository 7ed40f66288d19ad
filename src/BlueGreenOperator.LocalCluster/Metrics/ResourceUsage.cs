using System.Globalization;

namespace BlueGreenOperator.LocalCluster.Metrics;

/// <summary>CPU in cores and memory in bytes over one window, written as the metrics API writes quantities.</summary>
internal readonly record struct ResourceUsage(double Cores, long MemoryBytes)
{
    public long Nanocores => (long)Math.Round(Cores * 1e9);

    public Dictionary<string, string> ToQuantities() => new()
    {
        ["cpu"] = Nanocores.ToString(CultureInfo.InvariantCulture) + "n",
        ["memory"] = (MemoryBytes / 1024).ToString(CultureInfo.InvariantCulture) + "Ki",
    };
}
