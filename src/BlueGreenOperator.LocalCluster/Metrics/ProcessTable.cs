using System.Globalization;
using System.Runtime.InteropServices;

namespace BlueGreenOperator.LocalCluster.Metrics;

/// <summary>One process as <c>/proc/&lt;pid&gt;/stat</c> shows it: its parent, CPU time so far (utime + stime) and resident memory.</summary>
internal readonly record struct ProcessSample(int Pid, int ParentPid, long CpuTicks, long ResidentBytes);

/// <summary>The machine's processes at one instant, with the machine's busy CPU time and memory in use.</summary>
internal sealed partial class ProcessTable
{
    private const int ClockTicksName = 2; // _SC_CLK_TCK
    private const int PageSizeName = 30; // _SC_PAGESIZE

    public static readonly long TicksPerSecond = SysConf(ClockTicksName) is var ticks and > 0 ? ticks : 100;
    private static readonly long PageBytes = SysConf(PageSizeName) is var page and > 0 ? page : 4096;

    private readonly Dictionary<int, ProcessSample> processes;
    private readonly ILookup<int, int> children;

    public ProcessTable(DateTime at, IEnumerable<ProcessSample> samples, long machineBusyTicks, long machineMemoryInUseBytes)
    {
        At = at;
        processes = samples.ToDictionary(sample => sample.Pid);
        children = processes.Values.ToLookup(sample => sample.ParentPid, sample => sample.Pid);
        MachineBusyTicks = machineBusyTicks;
        MachineMemoryInUseBytes = machineMemoryInUseBytes;
    }

    public DateTime At { get; }

    /// <summary>CPU time of every processor spent on anything but idling and waiting for I/O (the first line of <c>/proc/stat</c>).</summary>
    public long MachineBusyTicks { get; }

    /// <summary>MemTotal − MemAvailable of <c>/proc/meminfo</c>.</summary>
    public long MachineMemoryInUseBytes { get; }

    /// <summary>Reads every process of the machine now.</summary>
    public static ProcessTable Read()
    {
        var at = DateTime.UtcNow;
        var samples = new List<ProcessSample>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && TryReadStat(pid) is { } sample)
            {
                samples.Add(sample);
            }
        }

        return new ProcessTable(at, samples, ReadMachineBusyTicks(), ReadMachineMemoryInUse());
    }

    public bool Contains(int pid) => processes.ContainsKey(pid);

    /// <summary>The process and all its descendants.</summary>
    public IEnumerable<ProcessSample> Tree(int root)
    {
        if (!processes.TryGetValue(root, out var top))
        {
            yield break;
        }

        var pending = new Stack<ProcessSample>([top]);
        var seen = new HashSet<int>();
        while (pending.TryPop(out var sample))
        {
            if (!seen.Add(sample.Pid))
            {
                continue;
            }

            yield return sample;
            foreach (var child in children[sample.Pid])
            {
                if (processes.TryGetValue(child, out var childSample))
                {
                    pending.Push(childSample);
                }
            }
        }
    }

    /// <summary>
    /// The CPU time the tree of <paramref name="root"/> used since <paramref name="earlier"/>, in ticks; null when the root
    /// did not exist then (the container started or restarted within the window). A descendant born within the
    /// window counts with all its time.
    /// </summary>
    public long? TreeTicksSince(ProcessTable earlier, int root)
    {
        if (!earlier.processes.TryGetValue(root, out _) || !processes.ContainsKey(root))
        {
            return null;
        }

        return Tree(root).Sum(sample => earlier.processes.TryGetValue(sample.Pid, out var before) && before.CpuTicks <= sample.CpuTicks
            ? sample.CpuTicks - before.CpuTicks
            : sample.CpuTicks);
    }

    public long TreeResidentBytes(int root) => Tree(root).Sum(sample => sample.ResidentBytes);

    /// <summary>Parses one <c>/proc/&lt;pid&gt;/stat</c> line; the command may hold spaces and parentheses, so fields count from the last ')'.</summary>
    public static ProcessSample? ParseStat(int pid, string line)
    {
        var end = line.LastIndexOf(')');
        if (end < 0)
        {
            return null;
        }

        // After ")": state(3) ppid(4) … utime(14) stime(15) … rss(24), numbered as in proc(5).
        var fields = line[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 22)
        {
            return null;
        }

        long Field(int number) => long.Parse(fields[number - 3], CultureInfo.InvariantCulture);
        return new ProcessSample(pid, (int)Field(4), Field(14) + Field(15), Field(24) * PageBytes);
    }

    private static ProcessSample? TryReadStat(int pid)
    {
        try
        {
            return ParseStat(pid, File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            // The process ended while the table was read.
            return null;
        }
    }

    private static long ReadMachineBusyTicks()
    {
        // cpu  user nice system idle iowait irq softirq steal …
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(field => long.Parse(field, CultureInfo.InvariantCulture)).ToArray();
        var total = fields.Take(8).Sum();
        return total - fields[3] - fields[4];
    }

    private static long ReadMachineMemoryInUse()
    {
        long Kibibytes(string key) => File.ReadLines("/proc/meminfo")
            .Where(line => line.StartsWith(key + ":", StringComparison.Ordinal))
            .Select(line => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture))
            .FirstOrDefault();
        return (Kibibytes("MemTotal") - Kibibytes("MemAvailable")) * 1024;
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);
}
