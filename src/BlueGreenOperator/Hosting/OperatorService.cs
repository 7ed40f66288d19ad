using BlueGreenOperator.Api;
using BlueGreenOperator.Cluster;
using BlueGreenOperator.Reconciliation;
using BlueGreenOperator.Runtime;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace BlueGreenOperator.Hosting;

/// <summary>
/// Runs the informers always (warm caches on followers too) and the reconcile workers only while this
/// instance leads; releases the lease on shutdown so that a successor takes over at once.
/// </summary>
internal sealed class OperatorService(
    IKubernetes client,
    IReconciler reconciler,
    ClusterCaches caches,
    ReconcileTrigger trigger,
    IOptions<OperatorOptions> options,
    ILoggerFactory loggers,
    OperatorReadiness readiness) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var logger = loggers.CreateLogger<OperatorService>();
        using var controller = new Controller(reconciler, new ControllerOptions { Workers = settings.Workers }, loggers.CreateLogger<Controller>());
        trigger.Attach(controller.Queue.Add);
        var informerOptions = new InformerOptions { ResyncPeriod = TimeSpan.FromMinutes(Math.Max(1, settings.ResyncMinutes)) };
        var owned = $"{WellKnown.ManagedByLabel}={WellKnown.ManagedByValue}";
        var synced = new List<Task>();
        foreach (var ns in settings.Namespaces())
        {
            var scope = ns ?? "all namespaces";
            var resources = new Informer<BlueGreenDeployment>($"bluegreendeployments ({scope})",
                KubernetesListWatch.CustomResources<BlueGreenDeployment>(client, WellKnown.Group, WellKnown.Version, WellKnown.Plural, ns),
                logger, informerOptions);
            var deployments = new Informer<V1Deployment>($"deployments ({scope})", KubernetesListWatch.Deployments(client, ns, owned), logger, informerOptions);
            var services = new Informer<V1Service>($"services ({scope})", KubernetesListWatch.Services(client, ns, owned), logger, informerOptions);
            var pods = new Informer<V1Pod>($"pods ({scope})", KubernetesListWatch.Pods(client, ns, owned), logger, informerOptions);
            var templates = new Informer<V1ControllerRevision>($"controllerrevisions ({scope})", KubernetesListWatch.ControllerRevisions(client, ns, owned), logger, informerOptions);
            caches.Resources.Add(ns, resources);
            caches.Deployments.Add(ns, deployments);
            caches.Services.Add(ns, services);
            caches.Pods.Add(ns, pods);
            caches.Templates.Add(ns, templates);
            controller.Watch(resources);
            controller.Owns(deployments);
            controller.Owns(services);
            controller.Owns(pods);
            controller.Owns(templates);
            synced.AddRange([resources.Synced, deployments.Synced, services.Synced, pods.Synced, templates.Synced]);
        }

        var informers = controller.RunInformersAsync(stoppingToken);
        _ = Task.WhenAll(synced).ContinueWith(_ => readiness.MarkSynced(), TaskScheduler.Default);

        if (!settings.LeaderElection.Enabled)
        {
            readiness.MarkLeading(true);
            await controller.RunWorkersAsync(stoppingToken);
        }
        else
        {
            var election = new LeaderElection(client, new LeaderElectionOptions
            {
                Enabled = true,
                LeaseName = settings.LeaderElection.LeaseName,
                LeaseNamespace = LeaseNamespace(settings),
                LeaseDuration = TimeSpan.FromSeconds(settings.LeaderElection.LeaseDurationSeconds),
                RenewDeadline = TimeSpan.FromSeconds(settings.LeaderElection.RenewDeadlineSeconds),
                RetryPeriod = TimeSpan.FromSeconds(settings.LeaderElection.RetryPeriodSeconds),
                Identity = Identity(),
            }, loggers.CreateLogger<LeaderElection>());
            election.StartedLeading += () => readiness.MarkLeading(true);
            election.StoppedLeading += () => readiness.MarkLeading(false);
            await election.RunAsync(controller.RunWorkersAsync, stoppingToken);
        }

        await informers.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    // The pod's name (downward API) tells an operator which replica leads; a GUID keeps two processes on one host apart.
    static string Identity() =>
        Environment.GetEnvironmentVariable("POD_NAME") is { Length: > 0 } pod ? pod : $"{Environment.MachineName}-{Guid.NewGuid():N}";

    static string LeaseNamespace(OperatorOptions settings) =>
        settings.LeaderElection.LeaseNamespace is { Length: > 0 } configured ? configured
        : Environment.GetEnvironmentVariable("POD_NAMESPACE") is { Length: > 0 } own ? own
        : "default";
}

/// <summary>What /readyz reports: informers synced. Followers are ready too: they stand by with warm caches.</summary>
internal sealed class OperatorReadiness
{
    volatile bool _synced;
    volatile bool _leading;

    public bool Synced => _synced;

    public bool Leading => _leading;

    public void MarkSynced() => _synced = true;

    public void MarkLeading(bool leading) => _leading = leading;
}
