namespace BlueGreenOperator.Plugin.Cli;

/// <summary>Exit codes that scripts can rely on.</summary>
internal static class ExitCode
{
    public const int Ok = 0;
    public const int UsageError = 1;
    public const int NotFound = 2;
    public const int ActionDoesNotApply = 3;
    public const int ClusterError = 4;
}
