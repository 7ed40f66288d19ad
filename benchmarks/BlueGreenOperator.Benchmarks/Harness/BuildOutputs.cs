using System.Reflection;

namespace BlueGreenOperator.Benchmarks.Harness;

/// <summary>The built programs and files the benchmark runs, as the project file recorded them at build time.</summary>
internal sealed record BuildOutputs(string OperatorProgram, string ModelServerDll, string CrdPath)
{
    public static BuildOutputs FromAssembly()
    {
        var recorded = typeof(BuildOutputs).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Where(a => a.Value is not null)
            .ToDictionary(a => a.Key, a => Path.GetFullPath(a.Value!));
        return new BuildOutputs(recorded["OperatorProgram"], recorded["ModelServerDll"], recorded["CrdPath"]);
    }

    /// <summary>What is missing, or null when every file is there.</summary>
    public string? Missing() =>
        !File.Exists(OperatorProgram)
            ? $"{OperatorProgram} does not exist; publish the operator first (`bash hack/publish.sh`), or name another build with --operator"
            : new[] { ModelServerDll, CrdPath }.FirstOrDefault(path => !File.Exists(path)) is { } absent
                ? $"{absent} does not exist; build with `dotnet build -c <Configuration>` first (dotnet run does it)"
                : null;
}
