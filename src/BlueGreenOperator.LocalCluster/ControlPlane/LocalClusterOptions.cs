namespace BlueGreenOperator.LocalCluster.ControlPlane;

/// <summary>How to start a local cluster.</summary>
public sealed record LocalClusterOptions
{
    public const string ModelServerDllVariable = "BLUEGREEN_MODEL_SERVER_DLL";

    /// <summary>Where kube-apiserver and friends are; default: the install cache.</summary>
    public string? BinaryDirectory { get; init; }

    /// <summary>The built example model server (ModelServer.dll) the image table runs; default: env BLUEGREEN_MODEL_SERVER_DLL.</summary>
    public string? ModelServerDll { get; init; } = Environment.GetEnvironmentVariable(ModelServerDllVariable);

    public string NodeName { get; init; } = "local-node";

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromMinutes(3);
}
