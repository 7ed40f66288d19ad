namespace BlueGreenOperator.Plugin.Cli;

/// <summary>A failure the user must see as one clear line, with the exit code scripts rely on.</summary>
internal sealed class CommandFailure(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
