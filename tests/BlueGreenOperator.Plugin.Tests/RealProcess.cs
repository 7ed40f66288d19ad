using System.Diagnostics;

namespace BlueGreenOperator.Plugin.Tests;

internal sealed record ProcessOutcome(int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() => $"exit code {ExitCode}\n--- stdout\n{StandardOutput}\n--- stderr\n{StandardError}";
}

/// <summary>Runs a real program with a chosen environment and captures both streams.</summary>
internal static class RealProcess
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    public static async Task<ProcessOutcome> RunAsync(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = TestContext.CurrentContext.WorkDirectory,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(Limit);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', start.ArgumentList)} still ran after {Limit}");
        }

        return new ProcessOutcome(process.ExitCode, await stdout, await stderr);
    }

    public static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "BlueGreenOperator.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("BlueGreenOperator.sln not found above " + TestContext.CurrentContext.TestDirectory);
    }
}

/// <summary>A scratch directory per fixture, removed afterwards.</summary>
internal sealed class ScratchDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("kubectl-bluegreen-").FullName;

    public string File(string name, string content)
    {
        var path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Kubeconfig files as kubectl users write them.</summary>
internal static class Kubeconfigs
{
    public const string UnreachableServer = "https://127.0.0.1:1";

    public static string Single(string server, string context, string? ns) => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: {context}-cluster
          cluster:
            server: {server}
            insecure-skip-tls-verify: true
        users:
        - name: {context}-user
          user:
            token: not-a-real-token
        contexts:
        - name: {context}
          context:
            cluster: {context}-cluster
            user: {context}-user
        {(ns is null ? "" : $"    namespace: {ns}")}
        current-context: {context}
        """;
}
