namespace BlueGreenOperator.LocalCluster.Metrics;

/// <summary>Two process tables a window apart: the usage of a process tree or of the machine between them.</summary>
internal sealed record UsageWindow(ProcessTable Earlier, ProcessTable Latest)
{
    public TimeSpan Length => Latest.At - Earlier.At;

    /// <summary>Usage of the tree under <paramref name="root"/>; null when it started within the window or is gone.</summary>
    public ResourceUsage? Tree(int root) => Latest.TreeTicksSince(Earlier, root) is { } ticks
        ? new ResourceUsage(Cores(ticks), Latest.TreeResidentBytes(root))
        : null;

    public ResourceUsage Machine => new(Cores(Latest.MachineBusyTicks - Earlier.MachineBusyTicks), Latest.MachineMemoryInUseBytes);

    private double Cores(long ticks) => Length > TimeSpan.Zero ? ticks / (double)ProcessTable.TicksPerSecond / Length.TotalSeconds : 0;
}
