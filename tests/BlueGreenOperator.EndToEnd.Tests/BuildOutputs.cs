using System.Reflection;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>Where the build put the programs these tests run as real processes.</summary>
internal static class BuildOutputs
{
    /// <summary>
    /// The operator these tests run: the shipped, natively compiled program when <c>BLUEGREEN_OPERATOR_PROGRAM</c> names
    /// it (the test command publishes it and sets this), else the build's own assembly.
    /// </summary>
    public static string OperatorProgram =>
        Path.GetFullPath(Environment.GetEnvironmentVariable("BLUEGREEN_OPERATOR_PROGRAM") is { Length: > 0 } program ? program : Metadata("OperatorDll"));

    public static string ModelServerDll => Path.GetFullPath(Metadata("ModelServerDll"));

    public static string PluginDll => Path.GetFullPath(Metadata("PluginDll"));

    public static string CrdPath => Path.GetFullPath(Metadata("CrdPath"));

    static string Metadata(string key) =>
        typeof(BuildOutputs).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"{key} is not set by the project file");
}
