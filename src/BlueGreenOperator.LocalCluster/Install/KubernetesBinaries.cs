namespace BlueGreenOperator.LocalCluster.Install;

/// <summary>Where the Kubernetes 1.20.2 binaries and the host programs the cluster needs are.</summary>
public sealed record KubernetesBinaries(string Directory)
{
    public const string Version = "1.20.2";
    public const string CacheVariable = "BLUEGREEN_K8S_CACHE";
    public const string Etcd = "/usr/bin/etcd";

    public static readonly IReadOnlyList<string> Names =
        ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"];

    public string ApiServer => Path.Combine(Directory, "kube-apiserver");
    public string ControllerManager => Path.Combine(Directory, "kube-controller-manager");
    public string Scheduler => Path.Combine(Directory, "kube-scheduler");
    public string Kubectl => Path.Combine(Directory, "kubectl");

    public bool IsComplete => Names.All(name => File.Exists(Path.Combine(Directory, name)));

    /// <summary>The cache directory: BLUEGREEN_K8S_CACHE, else ~/.cache/bluegreen-operator/k8s-1.20.2.</summary>
    public static KubernetesBinaries FromCache()
    {
        var overridden = Environment.GetEnvironmentVariable(CacheVariable);
        var directory = string.IsNullOrWhiteSpace(overridden)
            ? Path.Combine(
                Environment.GetFolderPath(Environment.SpecialFolder.UserProfile),
                ".cache",
                "bluegreen-operator",
                $"k8s-{Version}")
            : Path.GetFullPath(overridden);
        return new KubernetesBinaries(directory);
    }

    public void EnsureComplete()
    {
        if (!IsComplete)
        {
            throw new InvalidOperationException(
                $"Kubernetes {Version} binaries are missing in {Directory}; run `dotnet run --project src/BlueGreenOperator.LocalCluster -- install` first.");
        }

        if (!File.Exists(Etcd))
        {
            throw new InvalidOperationException($"{Etcd} is missing; install the Debian package etcd-server (the install command does).");
        }
    }
}
