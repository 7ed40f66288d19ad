using BlueGreenOperator.Api;
using BlueGreenOperator.Runtime;
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
        var resync = TimeSpan.FromMinutes(Math.Max(1, settings.ResyncMinutes));
        var owned = $"{WellKnown.ManagedByLabel}={WellKnown.ManagedByValue}";
        var resource = new ApiResource(WellKnown.Group, WellKnown.Version, WellKnown.Plural);
        var reporter = new UndecodableReporter(client, resource, WellKnown.Kind, loggers.CreateLogger<UndecodableReporter>());
        foreach (var ns in settings.Namespaces())
        {
            var scope = ns ?? "all namespaces";
            var resources = new Informer<BlueGreenDeployment>($"bluegreendeployments ({scope})",
                KubernetesListWatch.Create<BlueGreenDeployment>(client, resource, ns, labelSelector: null),
                logger, new InformerOptions<BlueGreenDeployment> { ResyncPeriod = resync });
            resources.SubscribeUndecodable(reporter.Report);
            resources.Subscribe(change => reporter.Forget(ObjectKey.Of(change.Object.Metadata)));
            var deployments = new Informer<V1Deployment>($"deployments ({scope})", KubernetesListWatch.Deployments(client, ns, owned),
                logger, new InformerOptions<V1Deployment> { ResyncPeriod = resync });
            var services = new Informer<V1Service>($"services ({scope})", KubernetesListWatch.Services(client, ns, owned),
                logger, new InformerOptions<V1Service> { ResyncPeriod = resync });
            controller.Watch(resources);
            controller.Owns(deployments);
            controller.Owns(services);
        }

        health.Track(controller);
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
