namespace BlueGreenOperator.Hosting;

/// <summary>The operator's settings: section <c>Operator</c> of configuration, or <c>Operator__*</c> environment variables.</summary>
internal sealed class OperatorOptions
{
    public const string Section = "Operator";

    /// <summary>Comma-separated namespaces to watch; empty watches all namespaces.</summary>
    public string WatchNamespaces { get; set; } = "";

    public int Workers { get; set; } = 4;

    /// <summary>Check runs (smoke tests, analysis) at once across all objects; they run beside the workers, not on them.</summary>
    public int CheckConcurrency { get; set; } = 8;

    /// <summary>A kubeconfig file; empty uses KUBECONFIG, then the in-cluster service account, then ~/.kube/config.</summary>
    public string Kubeconfig { get; set; } = "";

    /// <summary>Base URL of the Prometheus that analysis queries ask; empty fails every prometheus check.</summary>
    public string PrometheusUrl { get; set; } = "";

    public int ResyncMinutes { get; set; } = 10;

    public LeaderElectionSettings LeaderElection { get; set; } = new();

    public IReadOnlyList<string?> Namespaces()
    {
        var names = WatchNamespaces.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return names.Length == 0 ? [null] : [.. names.Select(n => (string?)n)];
    }
}

internal sealed class LeaderElectionSettings
{
    public bool Enabled { get; set; }

    public string LeaseName { get; set; } = "bluegreen-operator";

    /// <summary>Empty: the namespace the operator runs in (POD_NAMESPACE), else <c>default</c>.</summary>
    public string LeaseNamespace { get; set; } = "";

    public int LeaseDurationSeconds { get; set; } = 15;

    public int RenewDeadlineSeconds { get; set; } = 10;

    public int RetryPeriodSeconds { get; set; } = 2;
}
