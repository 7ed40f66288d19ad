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
      --rollouts K   plain Deployments of the readiness baseline and objects of the simultaneous rollouts (default 100, or 50 when memory is short)
      --converged N  converged objects of the memory slope and the restart (default 1000, or 300 when memory is short)
      --switches N   rollouts of one object for the switch time and API request counts (default 10)
      --patches N    bare selector PATCHes for the baseline (default 50)
      --rollbacks N  rollback actions during Stabilizing (default 3)
      --workers N    the operator's reconcile workers (default 16, the operator's default)
      --stages LIST  comma-separated, in this order: switch,rollback,baseline,fleet,converged,restart (default all; idle always runs)
      --operator P   the operator program to measure (default the natively compiled one `bash hack/publish.sh` writes,
                     artifacts/publish/bluegreen-operator; a build's bluegreen-operator.dll runs on the dotnet host)
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
    var (rollouts, converged, note) = DefaultSizes();
    var stages = Option("--stages")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? RunSettings.AllStages;
    if (stages.FirstOrDefault(stage => !RunSettings.AllStages.Contains(stage)) is { } unknown)
        throw new FormatException($"--stages: unknown stage '{unknown}'");
    settings = new RunSettings(
        IntOption("--rollouts") ?? rollouts,
        IntOption("--converged") ?? converged,
        IntOption("--switches") ?? 10,
        IntOption("--patches") ?? 50,
        IntOption("--rollbacks") ?? 3,
        IntOption("--workers") ?? 16,
        stages,
        note);
    output = Option("--out") ?? Path.Combine("artifacts", "benchmarks", $"benchmark-{DateTime.UtcNow:yyyyMMdd-HHmmss}.json");
}
catch (FormatException e)
{
    Console.Error.WriteLine($"{e.Message}\n{Usage}");
    return 2;
}

var outputs = BuildOutputs.FromAssembly();
if (Option("--operator") is { } program)
    outputs = outputs with { OperatorProgram = Path.GetFullPath(program) };
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

// A thousand tiny pods take about 2 GiB (their private memory, and the local kubelet's); keep well inside what is free.
static (int Rollouts, int Converged, string? Note) DefaultSizes()
{
    var available = MachineState.Now().MemoryAvailableGiB;
    return available >= 8
        ? (100, 1000, null)
        : (50, 300, string.Create(CultureInfo.InvariantCulture, $"50 and 300 objects instead of 100 and 1000: only {available:F1} GiB available"));
}
