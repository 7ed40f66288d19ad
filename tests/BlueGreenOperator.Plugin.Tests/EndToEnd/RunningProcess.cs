using System.Diagnostics;
using System.Text;

namespace BlueGreenOperator.Plugin.Tests.EndToEnd;

/// <summary>A long-running real process (a watch) whose output the test follows while it runs.</summary>
internal sealed class RunningProcess : IDisposable
{
    private readonly Process process;
    private readonly StringBuilder stdout = new();
    private readonly StringBuilder stderr = new();

    /// <summary>
    /// Resets SIGINT to its default and runs the program in its place. A test run started in the background inherits
    /// SIGINT ignored (as every background job of a non-interactive shell does), and .NET keeps an inherited ignore; a
    /// person's terminal runs kubectl with Ctrl-C at its default, which is what the watch tests stand for.
    /// </summary>
    private const string WithDefaultInterrupt =
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])";

    public RunningProcess(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(WithDefaultInterrupt);
        start.ArgumentList.Add(program);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(stderr, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string StandardOutput
    {
        get
        {
            lock (stdout)
            {
                return stdout.ToString();
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (stderr)
            {
                return stderr.ToString();
            }
        }
    }

    /// <summary>Waits until the output shows the text; fails with everything printed so far if it never does.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        try
        {
            await LocalCluster.Eventually.UntilAsync(
                _ => Task.FromResult(StandardOutput.Contains(text, StringComparison.Ordinal) || process.HasExited),
                timeout,
                $"the output to show \"{text}\"");
        }
        catch (TimeoutException)
        {
            // Reported below with the output.
        }

        if (!StandardOutput.Contains(text, StringComparison.Ordinal))
        {
            throw new AssertionException($"\"{text}\" never appeared.\n--- stdout\n{StandardOutput}\n--- stderr\n{StandardError}");
        }
    }

    /// <summary>What Ctrl-C sends: SIGINT, delivered with the real kill command.</summary>
    public async Task InterruptAsync()
    {
        var kill = await RealProcess.RunAsync("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.ExitCode.Should().Be(0, kill.ToString());
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var limit = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(limit.Token);
        return process.ExitCode;
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.Append(line).Append('\n');
        }
    }
}
