using System.Reflection;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>Where the build put the programs these tests run as real processes.</summary>
internal static class BuildOutputs
{
    public static string OperatorDll => Path.GetFullPath(Metadata("OperatorDll"));

    public static string ModelServerDll => Path.GetFullPath(Metadata("ModelServerDll"));

    public static string PluginDll => Path.GetFullPath(Metadata("PluginDll"));

    public static string CrdPath => Path.GetFullPath(Metadata("CrdPath"));

    static string Metadata(string key) =>
        typeof(BuildOutputs).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"{key} is not set by the project file");
}
