namespace BlueGreenOperator.LocalCluster.Processes;

/// <summary>The dotnet host that runs our own assembly as the kubelet and the model server.</summary>
public static class DotnetHost
{
    public static string Path { get; } = Locate();

    private static string Locate()
    {
        var fromHost = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromHost) && File.Exists(fromHost))
        {
            return fromHost;
        }

        var current = Environment.ProcessPath;
        if (current is not null && System.IO.Path.GetFileNameWithoutExtension(current) == "dotnet")
        {
            return current;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => System.IO.Path.Combine(directory, "dotnet"))
            .FirstOrDefault(File.Exists) ?? "dotnet";
    }
}
