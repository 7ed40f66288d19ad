using BlueGreenOperator.Api;
using BlueGreenOperator.Cluster;
using BlueGreenOperator.Reconciliation;
using BlueGreenOperator.Runtime;
using BlueGreenOperator.Telemetry;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Options;

namespace BlueGreenOperator.Hosting;

/// <summary>
/// Runs the informers always (warm caches on followers too) and, only while this instance leads, the reconcile
/// workers and the reporter of objects that do not decode; releases the lease on shutdown so that a successor
/// takes over at once.
/// </summary>
internal sealed class OperatorService(
    Kubernetes client,
    IReconciler reconciler,
    ClusterCaches caches,
    ReconcileTrigger trigger,
    IOptions<OperatorOptions> options,
    ILoggerFactory loggers,
    OperatorHealth health,
    LeaderElection election) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var logger = loggers.CreateLogger<OperatorService>();
        using var controller = new Controller(reconciler, new ControllerOptions { Workers = settings.Workers }, loggers.CreateLogger<Controller>());
        trigger.Attach(controller.Queue.Add);
        var resync = TimeSpan.FromMinutes(Math.Max(1, settings.ResyncMinutes));
        var owned = $"{WellKnown.ManagedByLabel}={WellKnown.ManagedByValue}";
        var resource = new ApiResource(WellKnown.Group, WellKnown.Version, WellKnown.Plural);
        var reporter = new UndecodableReporter(client, resource, WellKnown.Kind, loggers.CreateLogger<UndecodableReporter>());
        foreach (var ns in settings.Namespaces())
        {
            var scope = ns ?? "all namespaces";
            var resources = new Informer<BlueGreenDeployment>($"bluegreendeployments ({scope})",
                KubernetesListWatch.Create<BlueGreenDeployment>(client, resource, ns, labelSelector: null),
                logger, new InformerOptions<BlueGreenDeployment> { ResyncPeriod = resync, Transform = CacheShapes.Resource });
            resources.SubscribeUndecodable(reporter.Report);
            resources.Subscribe(change => reporter.Forget(ObjectKey.Of(change.Object.Metadata)));
            var deployments = new Informer<V1Deployment>($"deployments ({scope})", KubernetesListWatch.Deployments(client, ns, owned),
                logger, new InformerOptions<V1Deployment> { ResyncPeriod = resync, Transform = CacheShapes.Deployment });
            var services = new Informer<V1Service>($"services ({scope})", KubernetesListWatch.Services(client, ns, owned),
                logger, new InformerOptions<V1Service> { ResyncPeriod = resync, Transform = CacheShapes.Service });
            var pods = new Informer<V1Pod>($"pods ({scope})", KubernetesListWatch.Pods(client, ns, owned),
                logger, new InformerOptions<V1Pod> { ResyncPeriod = resync, Transform = CacheShapes.Pod });
            var templates = new Informer<V1ControllerRevision>($"controllerrevisions ({scope})", KubernetesListWatch.ControllerRevisions(client, ns, owned),
                logger, new InformerOptions<V1ControllerRevision> { ResyncPeriod = resync, Transform = CacheShapes.Template });
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
        }

        health.Track(controller);
        FleetMetrics.Track(caches.Resources.All, () => health.Leading);
        RolloutMetrics.Start();
        var informers = controller.RunInformersAsync(stoppingToken);
        election.StartedLeading += () => health.MarkLeading(true);
        election.StoppedLeading += () => health.MarkLeading(false);
        await election.RunAsync(
            async term =>
            {
                using var reporting = CancellationTokenSource.CreateLinkedTokenSource(term.Stopping, term.Lost);
                var reports = reporter.RunAsync(reporting.Token);
                await controller.RunWorkersAsync(term.Stopping, term.Lost);
                await reporting.CancelAsync();
                await reports;
            },
            stoppingToken);

        await informers.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
