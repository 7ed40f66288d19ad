using System.Globalization;

namespace BlueGreenOperator.LocalCluster.Processes;

/// <summary>Starts long-running programs in their own session so they outlive the command that started them.</summary>
public static class DetachedProcess
{
    // setsid execs in place (the shell's background child is no group leader), so $! is the program's own pid.
    private const string LaunchScript = "log=$1; shift; setsid \"$@\" >>\"$log\" 2>&1 </dev/null & echo $!";

    public static async Task<int> StartAsync(
        string file,
        IEnumerable<string> arguments,
        string logPath,
        IReadOnlyDictionary<string, string> environment,
        CancellationToken cancellationToken)
    {
        var result = await HostCommand.RunAsync(
            "/bin/sh",
            new[] { "-c", LaunchScript, "sh", logPath, file }.Concat(arguments),
            cancellationToken,
            environment: environment);
        if (!result.Succeeded || !int.TryParse(result.Output.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid))
        {
            throw new InvalidOperationException($"Could not start {file}: {result.Error.Trim()}");
        }

        return pid;
    }
}
