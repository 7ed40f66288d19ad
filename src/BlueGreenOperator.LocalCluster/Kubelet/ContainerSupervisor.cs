using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using BlueGreenOperator.LocalCluster.Processes;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.LocalCluster.Kubelet;

/// <summary>What a container needs from its pod: identity, network, restart policy and where to log.</summary>
internal sealed record ContainerContext(
    string PodNamespace,
    string PodName,
    string PodUid,
    string NodeName,
    string HostAddress,
    string PodAddress,
    string NetworkNamespace,
    string RestartPolicy,
    TimeSpan TerminationGrace,
    string LogDirectory,
    string ClusterPrefix,
    EnvironmentSources Sources);

/// <summary>
/// Runs one container as a real process inside the pod's network namespace: starts it, probes it,
/// restarts it per restart policy with backoff, and reports its state for the pod status.
/// </summary>
internal sealed partial class ContainerSupervisor(
    V1Container spec,
    ContainerContext context,
    ImageResolution image,
    Action onChange,
    ILogger logger,
    string initialReason = "ContainerCreating")
{
    private const string LaunchScript = "log=$1; shift; exec \"$@\" >>\"$log\" 2>&1 </dev/null";

    /// <summary>
    /// Where a container writes its termination message on this machine: processes share the host's file system, so
    /// the file at <c>terminationMessagePath</c> is a per-container file named by this variable instead.
    /// </summary>
    public const string TerminationMessageVariable = "BLUEGREEN_TERMINATION_MESSAGE_PATH";

    /// <summary>As the kubelet: at most this much of the file, and of the log's tail with FallbackToLogsOnError.</summary>
    public const int MaxTerminationMessageBytes = 4096;
    private const int FallbackLogBytes = 2048;
    private const int FallbackLogLines = 80;
    private static readonly TimeSpan MaximumBackoff = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan StableRun = TimeSpan.FromSeconds(60);

    private readonly Lock gate = new();
    private readonly CancellationTokenSource stopping = new();
    private Process? process;

    // Set under the gate by StopAsync: a process launched after it looked is stopped by the run loop instead.
    private TimeSpan? stopGrace;
    private int restartCount;
    private bool ready;
    private V1ContainerState state = new() { Waiting = new V1ContainerStateWaiting { Reason = initialReason } };
    private V1ContainerState? lastState;

    public Task Completion { get; private set; } = Task.CompletedTask;

    public string Name => spec.Name;

    /// <summary>The container ran to completion with exit code 0 (what an init container must do).</summary>
    public bool Succeeded => Snapshot().State.Terminated?.ExitCode == 0;

    /// <summary>The container ended with a failure and will not be restarted.</summary>
    public bool Failed => Snapshot().State.Terminated?.ExitCode is not (null or 0);

    public void Start() => Completion = Task.Run(RunAsync);

    public V1ContainerStatus Snapshot()
    {
        lock (gate)
        {
            return new V1ContainerStatus
            {
                Name = spec.Name,
                Image = spec.Image,
                ImageID = $"local://{spec.Image}",
                ContainerID = process is null ? null : $"local://{process.Id.ToString(CultureInfo.InvariantCulture)}",
                Ready = ready,
                Started = state.Running is not null,
                RestartCount = restartCount,
                State = state,
                LastState = lastState,
            };
        }
    }

    /// <summary>SIGTERM, then SIGKILL after the grace period; no restart afterwards.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        await stopping.CancelAsync();
        Process? running;
        lock (gate)
        {
            running = process;
            stopGrace = grace;
        }

        if (running is not null)
        {
            await TerminateAsync(running, grace);
        }

        await Completion;
    }

    private async Task RunAsync()
    {
        if (image.Entrypoint is null)
        {
            SetState(new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "ErrImagePull", Message = image.Error } }, ready: false);
            return;
        }

        var quickFailures = 0;
        while (!stopping.IsCancellationRequested)
        {
            var startedAt = DateTime.UtcNow;
            Process started;
            var environment = BuildEnvironment(image.Entrypoint);
            File.Delete(TerminationMessageFile);
            // Where this run's log begins, read before the launch: a short-lived process may have written all of it
            // (and exited) before the next line of this loop runs.
            var logStart = LogLength();
            try
            {
                started = Launch(image.Entrypoint, environment);
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
            {
                logger.LogWarning(ex, "Could not start container {Container} of {Namespace}/{Pod}", spec.Name, context.PodNamespace, context.PodName);
                SetState(new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "RunContainerError", Message = ex.Message } }, ready: false);
                if (!await BackOffAsync(++quickFailures))
                {
                    return;
                }

                continue;
            }

            TimeSpan? stopLaunched;
            lock (gate)
            {
                process = started;
                state = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = startedAt } };
                ready = spec.ReadinessProbe is null;
                stopLaunched = stopGrace;
            }

            // StopAsync came between the launch and the lines above and saw no process: this one is stopped here.
            var lateStop = stopLaunched is { } lateGrace ? TerminateAsync(started, lateGrace) : Task.CompletedTask;
            onChange();
            var exitCode = await SuperviseAsync(started, environment);
            await lateStop;
            var terminated = new V1ContainerStateTerminated
            {
                ExitCode = exitCode,
                Reason = exitCode == 0 ? "Completed" : "Error",
                Message = TerminationMessage(exitCode, logStart),
                StartedAt = startedAt,
                FinishedAt = DateTime.UtcNow,
                ContainerID = $"local://{started.Id.ToString(CultureInfo.InvariantCulture)}",
            };
            started.Dispose();
            var restart = !stopping.IsCancellationRequested && context.RestartPolicy switch
            {
                "Never" => false,
                "OnFailure" => exitCode != 0,
                _ => true,
            };
            if (!restart)
            {
                lock (gate)
                {
                    process = null;
                }

                SetState(new V1ContainerState { Terminated = terminated }, ready: false);
                return;
            }

            quickFailures = DateTime.UtcNow - startedAt > StableRun ? 1 : quickFailures + 1;
            logger.LogInformation(
                "Container {Container} of {Namespace}/{Pod} exited with {ExitCode}; restarting",
                spec.Name,
                context.PodNamespace,
                context.PodName,
                exitCode);
            lock (gate)
            {
                process = null;
                restartCount++;
                lastState = new V1ContainerState { Terminated = terminated };
                state = new V1ContainerState
                {
                    Waiting = new V1ContainerStateWaiting { Reason = "CrashLoopBackOff", Message = $"back-off restarting failed container {spec.Name}" },
                };
                ready = false;
            }

            onChange();
            if (!await BackOffAsync(quickFailures))
            {
                SetState(new V1ContainerState { Terminated = terminated }, ready: false);
                return;
            }
        }
    }

    /// <summary>Waits for the process to exit while its probes run; returns the exit code.</summary>
    private async Task<int> SuperviseAsync(Process running, IReadOnlyDictionary<string, string> environment)
    {
        using var run = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
        var target = new ProbeTarget(context.PodAddress, spec.Ports?.ToList() ?? [], context.NetworkNamespace, WorkingDirectory, environment);
        var probes = new List<Task>();
        if (spec.ReadinessProbe is { } readiness)
        {
            probes.Add(new ProbeRunner(readiness, target).RunAsync(SetReady, run.Token));
        }

        if (spec.LivenessProbe is { } liveness)
        {
            probes.Add(new ProbeRunner(liveness, target).RunAsync(
                alive =>
                {
                    if (!alive)
                    {
                        logger.LogInformation("Liveness probe of {Container} in {Namespace}/{Pod} failed; killing it", spec.Name, context.PodNamespace, context.PodName);
                        var grace = liveness.TerminationGracePeriodSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : context.TerminationGrace;
                        _ = TerminateAsync(running, grace);
                    }
                },
                run.Token));
        }

        await running.WaitForExitAsync(CancellationToken.None);
        await run.CancelAsync();
        await Task.WhenAll(probes);
        return running.ExitCode;
    }

    private void SetReady(bool value)
    {
        lock (gate)
        {
            if (state.Running is null || ready == value)
            {
                return;
            }

            ready = value;
        }

        onChange();
    }

    private void SetState(V1ContainerState value, bool ready)
    {
        lock (gate)
        {
            state = value;
            this.ready = ready;
        }

        onChange();
    }

    private async Task<bool> BackOffAsync(int failures)
    {
        var delay = TimeSpan.FromSeconds(Math.Min(MaximumBackoff.TotalSeconds, Math.Pow(2, Math.Max(0, failures - 1))));
        try
        {
            await Task.Delay(delay, stopping.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task TerminateAsync(Process running, TimeSpan grace)
    {
        try
        {
            if (running.HasExited)
            {
                return;
            }

            ProcessSignals.Send(running.Id, ProcessSignals.SigTerm);
            using var timeout = new CancellationTokenSource(grace);
            try
            {
                await running.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                running.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // The process was already reaped and disposed.
        }
    }

    private string LogPath => Path.Combine(context.LogDirectory, $"{context.PodNamespace}_{context.PodName}_{spec.Name}.log");

    private string TerminationMessageFile => Path.Combine(context.LogDirectory, $"{context.PodNamespace}_{context.PodName}_{spec.Name}.termination-log");

    private long LogLength() => File.Exists(LogPath) ? new FileInfo(LogPath).Length : 0;

    /// <summary>The file the container wrote, else (FallbackToLogsOnError, a failure) the tail of what this run logged.</summary>
    private string? TerminationMessage(int exitCode, long logStart)
    {
        try
        {
            var written = ReadBounded(TerminationMessageFile, 0, MaxTerminationMessageBytes);
            if (!string.IsNullOrEmpty(written) || exitCode == 0 || spec.TerminationMessagePolicy != "FallbackToLogsOnError")
            {
                return string.IsNullOrEmpty(written) ? null : written;
            }

            var logged = ReadBounded(LogPath, Math.Max(logStart, LogLength() - FallbackLogBytes), FallbackLogBytes);
            var lines = logged.Split('\n');
            var tail = string.Join('\n', lines.Skip(Math.Max(0, lines.Length - FallbackLogLines)));
            return string.IsNullOrEmpty(tail) ? null : tail;
        }
        catch (IOException ex)
        {
            logger.LogWarning(ex, "Reading the termination message of {Container} in {Namespace}/{Pod} failed", spec.Name, context.PodNamespace, context.PodName);
            return null;
        }
    }

    private static string ReadBounded(string path, long from, int bytes)
    {
        if (!File.Exists(path))
        {
            return "";
        }

        using var file = File.OpenRead(path);
        file.Seek(Math.Min(from, file.Length), SeekOrigin.Begin);
        var buffer = new byte[bytes];
        var read = file.ReadAtLeast(buffer, bytes, throwOnEndOfStream: false);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, read);
    }

    private string WorkingDirectory =>
        spec.WorkingDir is { Length: > 0 } directory && Directory.Exists(directory) ? directory : context.LogDirectory;

    private Process Launch(ImageEntrypoint entrypoint, Dictionary<string, string> environment)
    {
        var command = spec.Command is { Count: > 0 } ? spec.Command.ToList() : entrypoint.Entrypoint.ToList();
        var arguments = spec.Args is { Count: > 0 } ? spec.Args.ToList()
            : spec.Command is { Count: > 0 } ? [] : entrypoint.DefaultArguments.ToList();
        var logPath = LogPath;
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var argument in new[] { "-c", LaunchScript, "sh", logPath, "/usr/sbin/ip", "netns", "exec", context.NetworkNamespace }
            .Concat(command.Select(part => Expand(part, environment)))
            .Concat(arguments.Select(part => Expand(part, environment))))
        {
            start.ArgumentList.Add(argument);
        }

        start.WorkingDirectory = WorkingDirectory;
        start.Environment.Clear();
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"could not start {string.Join(' ', command)}");
    }

    private Dictionary<string, string> BuildEnvironment(ImageEntrypoint entrypoint)
    {
        var environment = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            ["HOME"] = Environment.GetEnvironmentVariable("HOME") ?? "/root",
            ["HOSTNAME"] = context.PodName,
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            [ProcessSignals.ClusterMarker] = context.ClusterPrefix,
            [TerminationMessageVariable] = TerminationMessageFile,
        };
        foreach (var (key, value) in entrypoint.DefaultEnvironment)
        {
            environment[key] = value;
        }

        foreach (var (key, value) in context.Sources.From(spec.EnvFrom))
        {
            environment[key] = value;
        }

        foreach (var variable in spec.Env ?? [])
        {
            environment[variable.Name] = variable.ValueFrom switch
            {
                null => Expand(variable.Value ?? "", environment),
                { FieldRef.FieldPath: var field } => field switch
                {
                    "metadata.name" => context.PodName,
                    "metadata.namespace" => context.PodNamespace,
                    "metadata.uid" => context.PodUid,
                    "spec.nodeName" => context.NodeName,
                    "status.podIP" => context.PodAddress,
                    "status.hostIP" => context.HostAddress,
                    _ => "",
                },
                var source => context.Sources.Lookup(source) ?? "",
            };
        }

        return environment;
    }

    /// <summary>Expands $(NAME) references the way the kubelet does; $$(NAME) stays literal.</summary>
    private static string Expand(string text, IReadOnlyDictionary<string, string> environment) =>
        VariableReference().Replace(text, match => match.Value.StartsWith("$$", StringComparison.Ordinal)
            ? match.Value[1..]
            : environment.TryGetValue(match.Groups[1].Value, out var value) ? value : match.Value);

    [GeneratedRegex(@"\$?\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")]
    private static partial Regex VariableReference();
}
