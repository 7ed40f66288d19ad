using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using BlueGreenOperator.Benchmarks;
using BlueGreenOperator.Benchmarks.Harness;
using BlueGreenOperator.Benchmarks.Reporting;
using Microsoft.Extensions.Logging;

const string Usage = """
    usage: dotnet run -c Release --project benchmarks/BlueGreenOperator.Benchmarks -- [options]
      --rollouts K   objects for the memory and simultaneous-rollout measurements (default 100, or 50 when memory is short)
      --switches N   rollouts of one object for the switch time and API request counts (default 10)
      --patches N    bare selector PATCHes for the baseline (default 50)
      --rollbacks N  rollback actions during Stabilizing (default 3)
      --workers N    the operator's reconcile workers (default 4, the operator's default)
      --out FILE     where to write the JSON report (default artifacts/benchmarks/benchmark-<UTC time>.json)
    """;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine(Usage);
    return 0;
}

using var loggerFactory = LoggerFactory.Create(builder => builder
    .AddSimpleConsole(options =>
    {
        options.SingleLine = true;
        options.TimestampFormat = "HH:mm:ss ";
    })
    .SetMinimumLevel(LogLevel.Information));
var logger = loggerFactory.CreateLogger("benchmark");

RunSettings settings;
string output;
try
{
    var requested = IntOption("--rollouts");
    var (rollouts, note) = requested is { } k ? (k, null) : DefaultRollouts();
    settings = new RunSettings(
        rollouts,
        IntOption("--switches") ?? 10,
        IntOption("--patches") ?? 50,
        IntOption("--rollbacks") ?? 3,
        IntOption("--workers") ?? 4,
        note);
    output = Option("--out") ?? Path.Combine("artifacts", "benchmarks", $"benchmark-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
}
catch (FormatException e)
{
    Console.Error.WriteLine($"{e.Message}\n{Usage}");
    return 2;
}

var outputs = BuildOutputs.FromAssembly();
if (outputs.Missing() is { } missing)
{
    Console.Error.WriteLine(missing);
    return 2;
}

// Ctrl-C and SIGTERM end the measurements; the cluster, its pods and the operator are still stopped on the way out.
using var stop = new CancellationTokenSource();
void Interrupt(PosixSignalContext context)
{
    context.Cancel = true;
    logger.LogWarning("Interrupted: stopping the operator and the local cluster");
    stop.Cancel();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);

var run = new BenchmarkRun(settings, outputs, logger);
var exitCode = 0;
try
{
    await run.RunAsync(stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    exitCode = 130;
}
catch (Exception e) when (!stop.IsCancellationRequested)
{
    logger.LogError(e, "The benchmark could not run");
    run.Report.Failures.Add(new StageFailure("setup", e.Message));
    exitCode = 1;
}

Console.WriteLine();
Console.WriteLine(ReportTable.Render(run.Report));
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
await File.WriteAllTextAsync(output, JsonSerializer.Serialize(run.Report, new JsonSerializerOptions
{
    WriteIndented = true,
    PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
}));
Console.WriteLine($"JSON report: {Path.GetFullPath(output)}");
return exitCode != 0 ? exitCode : run.Report.Failures.Count > 0 ? 1 : 0;

string? Option(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

int? IntOption(string name) => Option(name) is { } text
    ? int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
        ? value
        : throw new FormatException($"{name} needs a positive whole number, not '{text}'")
    : null;

// Each object runs two pods at the peak of its rollout; keep them well inside the memory that is free.
static (int Rollouts, string? Note) DefaultRollouts()
{
    const int Preferred = 100;
    const double PodMiB = 40;
    var available = MachineState.Now().MemoryAvailableGiB * 1024;
    return Preferred * 2 * PodMiB <= available * 0.5
        ? (Preferred, null)
        : (50, string.Create(CultureInfo.InvariantCulture, $"50 objects instead of {Preferred}: only {available / 1024:F1} GiB available"));
}
