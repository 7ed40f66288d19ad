using BlueGreenOperator.LocalCluster.Install;

namespace BlueGreenOperator.Plugin.Tests;

/// <summary>
/// The plugin as a user gets it: published by hack/install-plugin.sh into a bin directory that is put first on PATH,
/// once per test run, so that the real kubectl finds it as `kubectl bluegreen`.
/// </summary>
internal static class InstalledPlugin
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? binDirectory;

    /// <summary>kubectl from PATH, else the one of the cached Kubernetes binaries (the local control plane's version).</summary>
    public static string? Kubectl => RealProcess.FindOnPath("kubectl")
        ?? (File.Exists(KubernetesBinaries.FromCache().Kubectl) ? KubernetesBinaries.FromCache().Kubectl : null);

    public static async Task<string> InstallAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (binDirectory is null)
            {
                var bin = Path.Combine(TestContext.CurrentContext.WorkDirectory, "installed-plugin", "bin");
                var install = await RealProcess.RunAsync("bash", [Path.Combine(RealProcess.RepositoryRoot(), "hack", "install-plugin.sh"), bin]);
                install.ExitCode.Should().Be(0, install.ToString());
                install.StandardOutput.Should().Contain($"installed {Path.Combine(bin, "kubectl-bluegreen")}");
                binDirectory = bin;
            }

            return binDirectory;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The environment for kubectl: the installed plugin first on PATH, and the given kubeconfig.</summary>
    public static Dictionary<string, string?> Environment(string bin, string kubeconfig) => new()
    {
        ["PATH"] = bin + Path.PathSeparator + System.Environment.GetEnvironmentVariable("PATH"),
        ["KUBECONFIG"] = kubeconfig,
    };
}
