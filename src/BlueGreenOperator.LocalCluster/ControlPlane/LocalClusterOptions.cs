namespace BlueGreenOperator.LocalCluster.ControlPlane;

/// <summary>How to start a local cluster.</summary>
public sealed record LocalClusterOptions
{
    public const string ModelServerDllVariable = "BLUEGREEN_MODEL_SERVER_DLL";

    /// <summary>Where kube-apiserver and friends are; default: the install cache.</summary>
    public string? BinaryDirectory { get; init; }

    /// <summary>
    /// The built example model server (ModelServer.dll) the image table runs; default: env BLUEGREEN_MODEL_SERVER_DLL,
    /// else a build under examples/model-server/bin of the repository around the current directory.
    /// </summary>
    public string? ModelServerDll { get; init; } = Environment.GetEnvironmentVariable(ModelServerDllVariable) is { Length: > 0 } configured
        ? Path.GetFullPath(configured)
        : FindBuiltModelServer(Environment.CurrentDirectory);

    public string NodeName { get; init; } = "local-node";

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(3);

    /// <summary>The newest ModelServer.dll built in the repository that contains <paramref name="start"/>, if any.</summary>
    public static string? FindBuiltModelServer(string start)
    {
        for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
        {
            if (!File.Exists(Path.Combine(directory.FullName, "BlueGreenOperator.sln")))
            {
                continue;
            }

            var output = Path.Combine(directory.FullName, "examples", "model-server", "bin");
            return Directory.Exists(output)
                ? Directory.EnumerateFiles(output, "ModelServer.dll", SearchOption.AllDirectories)
                    .OrderByDescending(File.GetLastWriteTimeUtc)
                    .FirstOrDefault()
                : null;
        }

        return null;
    }
}
