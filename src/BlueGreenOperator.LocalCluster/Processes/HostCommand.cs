using System.Diagnostics;

namespace BlueGreenOperator.LocalCluster.Processes;

/// <summary>The outcome of a finished host command.</summary>
public sealed record CommandResult(int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>Runs short-lived host programs (ip, apt-get, make) and captures what they print.</summary>
public static class HostCommand
{
    public static async Task<CommandResult> RunAsync(
        string file,
        IEnumerable<string> arguments,
        CancellationToken cancellationToken = default,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CommandResult(process.ExitCode, await output, await error);
    }

    /// <summary>Runs a command and throws with its error output when it fails.</summary>
    public static async Task<string> RunCheckedAsync(
        string file,
        IEnumerable<string> arguments,
        CancellationToken cancellationToken = default,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var list = arguments.ToList();
        var result = await RunAsync(file, list, cancellationToken, workingDirectory, environment);
        if (!result.Succeeded)
        {
            throw new InvalidOperationException(
                $"`{file} {string.Join(' ', list)}` exited with {result.ExitCode}: {result.Error.Trim()} {Tail(result.Output)}");
        }

        return result.Output;
    }

    /// <summary>Runs a shell script (fixed text, values passed as positional parameters).</summary>
    public static Task<CommandResult> ShellAsync(string script, IEnumerable<string> parameters, CancellationToken cancellationToken = default) =>
        RunAsync("/bin/sh", new[] { "-c", script, "sh" }.Concat(parameters), cancellationToken);

    private static string Tail(string text) => text.Length <= 2000 ? text.Trim() : text[^2000..].Trim();
}
