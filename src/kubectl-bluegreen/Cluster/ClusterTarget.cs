using k8s;
using k8s.KubeConfigModels;

namespace BlueGreenOperator.Plugin.Cluster;

/// <summary>Which API server to talk to and in which namespace, resolved the way kubectl resolves them.</summary>
internal sealed record ClusterTarget(KubernetesClientConfiguration Configuration, string Namespace)
{
    public const string DefaultNamespace = "default";

    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(30);

    public static ClusterTarget Resolve(Invocation invocation, Func<string, string?> environment)
    {
        var paths = KubeconfigPaths(invocation.Kubeconfig, environment("KUBECONFIG"), environment("HOME"));
        var existing = paths.Where(File.Exists).ToList();
        if (existing.Count == 0)
        {
            throw new CommandFailure(ExitCode.ClusterError, $"no kubeconfig found (looked at {string.Join(", ", paths)}); pass --kubeconfig or set KUBECONFIG");
        }

        KubernetesClientConfiguration configuration;
        try
        {
            configuration = existing.Count == 1
                ? KubernetesClientConfiguration.BuildConfigFromConfigFile(existing[0], invocation.Context)
                : KubernetesClientConfiguration.BuildConfigFromConfigObject(Merge(existing), invocation.Context);
        }
        catch (Exception e)
        {
            // YAML, file, certificate and exec-plugin errors all mean the same to the user: this kubeconfig is unusable.
            throw new CommandFailure(ExitCode.ClusterError, $"cannot use kubeconfig {string.Join(", ", existing)}: {e.Message}");
        }

        // An API server that accepts connections but never answers should fail the command, not hang it; the client
        // lifts this timeout for watch requests, so --watch is not cut by it.
        configuration.HttpClientTimeout = invocation.RequestTimeout is { } timeout
            ? timeout == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : timeout
            : DefaultRequestTimeout;
        var ns = invocation.Namespace ?? (string.IsNullOrEmpty(configuration.Namespace) ? DefaultNamespace : configuration.Namespace);
        return new ClusterTarget(configuration, ns);
    }

    /// <summary>kubectl's merge of several kubeconfig files: the first file that names a cluster, user, context or current context wins.</summary>
    private static K8SConfiguration Merge(IEnumerable<string> paths)
    {
        var files = paths.Select(path => KubernetesClientConfiguration.LoadKubeConfig(path, useRelativePaths: true)).ToList();
        var merged = files[0];
        merged.CurrentContext = files.Select(f => f.CurrentContext).FirstOrDefault(c => !string.IsNullOrEmpty(c));
        merged.Clusters = files.SelectMany(f => f.Clusters ?? []).DistinctBy(c => c.Name).ToList();
        merged.Users = files.SelectMany(f => f.Users ?? []).DistinctBy(u => u.Name).ToList();
        merged.Contexts = files.SelectMany(f => f.Contexts ?? []).DistinctBy(c => c.Name).ToList();
        return merged;
    }

    /// <summary>--kubeconfig, else every file of KUBECONFIG (merged like kubectl), else ~/.kube/config.</summary>
    public static IReadOnlyList<string> KubeconfigPaths(string? flag, string? kubeconfigVariable, string? home)
    {
        if (!string.IsNullOrEmpty(flag))
        {
            return [flag];
        }

        if (!string.IsNullOrEmpty(kubeconfigVariable))
        {
            return kubeconfigVariable.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        }

        return [Path.Combine(home ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config")];
    }
}
