using BlueGreenOperator.Runtime;

namespace BlueGreenOperator.Hosting;

/// <summary>The operator's settings: section <c>Operator</c> of configuration, or <c>Operator__*</c> environment variables.</summary>
internal sealed class OperatorOptions
{
    public const string Section = "Operator";

    /// <summary>Comma-separated namespaces to watch; empty watches all namespaces.</summary>
    public string WatchNamespaces { get; set; } = "";

    /// <summary>Objects reconciled in parallel. A reconcile mostly waits on its API writes, so more workers than cores pay off.</summary>
    public int Workers { get; set; } = 16;

    /// <summary>Check runs (smoke tests, analysis) at once across all objects; they run beside the workers, not on them.</summary>
    public int CheckConcurrency { get; set; } = 8;

    /// <summary>Check runs of one namespace at once; 0: a quarter of <see cref="CheckConcurrency"/> (at least 1).</summary>
    public int CheckConcurrencyPerNamespace { get; set; }

    /// <summary>The largest response body a check reads; a larger one fails the attempt.</summary>
    public int CheckBodyLimitBytes { get; set; } = Checks.CheckLimits.DefaultBodyBytes;

    /// <summary>A kubeconfig file; empty uses KUBECONFIG, then the in-cluster service account, then ~/.kube/config.</summary>
    public string Kubeconfig { get; set; } = "";

    /// <summary>Base URL of the Prometheus that analysis queries ask; empty fails every prometheus check.</summary>
    public string PrometheusUrl { get; set; } = "";

    /// <summary>Where <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> listen: <c>http://HOST:PORT</c>, <c>0.0.0.0</c> for every address.</summary>
    public string Listen { get; set; } = ListenAddress.Default;

    /// <summary>After this many MiB allocated, once the operator is quiet, the GC gives its free memory back; 0 never.</summary>
    public int MemoryTrimAfterMiB { get; set; } = TrimPolicy.DefaultBurstMiB;

    public int ResyncMinutes { get; set; } = 10;

    public LeaderElectionSettings LeaderElection { get; set; } = new();

    public HealthSettings Health { get; set; } = new();

    /// <summary>Webhooks told of changes that need a person (paused, aborted, rolled back, no capacity).</summary>
    public Notifications.NotificationSettings Notifications { get; set; } = new();

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

    /// <summary>Must be shorter than the lease duration: the leader stops writing before anyone else may take over.</summary>
    public int RenewDeadlineSeconds { get; set; } = 10;

    public int RetryPeriodSeconds { get; set; } = 2;

    /// <summary>The election's options, validated: 0 &lt; retry period &lt; renew deadline &lt; lease duration.</summary>
    public LeaderElectionOptions ToOptions()
    {
        var options = new LeaderElectionOptions
        {
            Enabled = Enabled,
            LeaseName = LeaseName,
            LeaseNamespace = ResolvedNamespace(),
            LeaseDuration = TimeSpan.FromSeconds(LeaseDurationSeconds),
            RenewDeadline = TimeSpan.FromSeconds(RenewDeadlineSeconds),
            RetryPeriod = TimeSpan.FromSeconds(RetryPeriodSeconds),
            Identity = Identity(),
        };
        if (Enabled)
        {
            options.Validate();
        }

        return options;
    }

    string ResolvedNamespace() =>
        LeaseNamespace is { Length: > 0 } configured ? configured
        : Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } own ? own
        : "default";

    // The pod's name (downward API) tells an operator which replica leads; a GUID keeps two processes on one host apart.
    static string Identity() =>
        Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod : $"{Environment.MachineName}-{Guid.NewGuid():N}";
}

/// <summary>When /healthz fails, so that the kubelet restarts a wedged operator.</summary>
internal sealed class HealthSettings
{
    /// <summary>An informer not synced this long after it started, or failing to list or watch this long, is wedged.</summary>
    public int InformerSyncTimeoutSeconds { get; set; } = 300;

    /// <summary>Keys waiting while no reconcile finished for this long: the workers are wedged.</summary>
    public int StalledWorkersSeconds { get; set; } = 600;

    /// <summary>One reconcile running this long is wedged.</summary>
    public int MaxReconcileSeconds { get; set; } = 900;
}
