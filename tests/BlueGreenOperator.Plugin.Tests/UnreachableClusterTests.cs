namespace BlueGreenOperator.Plugin.Tests;

/// <summary>
/// Tests of the built plugin as a real process, with a kubeconfig whose API server never answers (port 1 on loopback):
/// what a script or a person sees when the cluster cannot be reached.
/// </summary>
public abstract class UnreachableClusterTests
{
    /// <summary>A directory of the fixture's own, removed after its tests.</summary>
    private protected ScratchDirectory Scratch { get; private set; } = null!;

    /// <summary>A kubeconfig of one context, namespace <c>ml</c>, pointing at nothing.</summary>
    protected string Kubeconfig { get; private set; } = null!;

    /// <summary>The plugin as built beside the tests, run with <c>dotnet</c>.</summary>
    protected static string PluginDll => Path.Combine(TestContext.CurrentContext.TestDirectory, "kubectl-bluegreen.dll");

    [OneTimeSetUp]
    public void WriteKubeconfig()
    {
        Scratch = new ScratchDirectory();
        Kubeconfig = Scratch.File("unreachable", Kubeconfigs.Single(Kubeconfigs.UnreachableServer, "nowhere", "ml"));
    }

    [OneTimeTearDown]
    public void RemoveScratch() => Scratch.Dispose();
}
