using System.Globalization;
using System.Runtime.InteropServices;

namespace BlueGreenOperator.Benchmarks.Reporting;

/// <summary>How busy the machine was: the numbers of a shared 2-core machine mean little without it.</summary>
internal sealed record MachineState(int Cores, double MemoryTotalGiB, double MemoryAvailableGiB, IReadOnlyList<double> LoadAverage, string Runtime, string System)
{
    public static MachineState Now()
    {
        var load = File.ReadAllText("/proc/loadavg").Split(' ').Take(3).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToList();
        var memory = File.ReadLines("/proc/meminfo")
            .Select(line => line.Split(':', 2))
            .ToDictionary(parts => parts[0], parts => long.Parse(parts[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
        return new MachineState(
            Environment.ProcessorCount,
            Math.Round(memory["MemTotal"] / 1048576.0, 1),
            Math.Round(memory["MemAvailable"] / 1048576.0, 1),
            load,
            RuntimeInformation.FrameworkDescription,
            RuntimeInformation.OSDescription);
    }

    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"{Cores} cores, {MemoryAvailableGiB:F1} of {MemoryTotalGiB:F1} GiB available, load average {string.Join(" ", LoadAverage)}");
}
