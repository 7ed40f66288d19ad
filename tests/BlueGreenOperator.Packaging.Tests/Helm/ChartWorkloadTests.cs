using k8s.Models;

namespace BlueGreenOperator.Packaging.Tests.Helm;

[TestFixture]
internal sealed class ChartWorkloadTests
{
    [TestCaseSource(typeof(HelmCli), nameof(HelmCli.Variants))]
    public async Task Should_run_the_operator_under_the_restricted_pod_security_standard(string? valuesFile)
    {
        var chart = await HelmCli.RenderAsync(HelmCli.Variant(valuesFile));
        var pod = chart.Single<V1Deployment>().Spec.Template.Spec;
        var container = chart.OperatorContainer;

        pod.SecurityContext.RunAsNonRoot.Should().BeTrue();
        pod.SecurityContext.RunAsUser.Should().Be(65532);
        pod.SecurityContext.FsGroup.Should().Be(65532);
        pod.SecurityContext.SeccompProfile.Type.Should().Be("RuntimeDefault");
        pod.HostNetwork.Should().NotBe(true);
        container.SecurityContext.ReadOnlyRootFilesystem.Should().BeTrue();
        container.SecurityContext.AllowPrivilegeEscalation.Should().BeFalse();
        container.SecurityContext.Privileged.Should().NotBe(true);
        container.SecurityContext.Capabilities.Drop.Should().Equal("ALL");
        container.SecurityContext.Capabilities.Add.Should().BeNullOrEmpty();
    }

    [Test]
    public async Task Should_give_the_read_only_container_a_writable_tmp()
    {
        var chart = await HelmCli.RenderAsync();
        var pod = chart.Single<V1Deployment>().Spec.Template.Spec;

        var mount = chart.OperatorContainer.VolumeMounts.Should().ContainSingle(m => m.MountPath == "/tmp").Subject;
        pod.Volumes.Should().ContainSingle(v => v.Name == mount.Name).Which.EmptyDir.Should().NotBeNull();
    }

    [Test]
    public async Task Should_probe_health_and_readiness_on_the_operator_port()
    {
        var chart = await HelmCli.RenderAsync();
        var container = chart.OperatorContainer;

        container.Ports.Should().ContainSingle().Which.Should().Match<V1ContainerPort>(p => p.Name == "http" && p.ContainerPort == 8080);
        container.LivenessProbe.HttpGet.Path.Should().Be("/healthz");
        container.LivenessProbe.HttpGet.Port.Value.Should().Be("http");
        container.ReadinessProbe.HttpGet.Path.Should().Be("/readyz");
        container.ReadinessProbe.HttpGet.Port.Value.Should().Be("http");
    }

    [Test]
    public async Task Should_set_resources_and_image_from_values()
    {
        var chart = await HelmCli.RenderAsync("--set", "image.tag=0.2.0-rc.1", "--set", "image.pullPolicy=Always", "--set", "resources.limits.memory=512Mi");
        var container = chart.OperatorContainer;

        container.Image.Should().Be("ghcr.io/example/bluegreen-operator:0.2.0-rc.1");
        container.ImagePullPolicy.Should().Be("Always");
        container.Resources.Requests.Should().ContainKeys("cpu", "memory");
        container.Resources.Limits["memory"].ToString().Should().Be("512Mi");
    }

    [Test]
    public async Task Should_default_the_image_tag_to_the_app_version()
    {
        var chart = await HelmCli.RenderAsync();

        chart.OperatorContainer.Image.Should().Be("ghcr.io/example/bluegreen-operator:0.1.0");
    }

    [Test]
    public async Task Should_pass_the_operator_options_and_the_pod_identity_as_environment()
    {
        var chart = await HelmCli.RenderAsync();
        var env = chart.OperatorContainer.Env;

        env.Single(v => v.Name == "POD_NAMESPACE").ValueFrom.FieldRef.FieldPath.Should().Be("metadata.namespace");
        env.Single(v => v.Name == "POD_NAME").ValueFrom.FieldRef.FieldPath.Should().Be("metadata.name");
        env.Single(v => v.Name == "Operator__LeaderElection__LeaseNamespace").ValueFrom.FieldRef.FieldPath.Should().Be("metadata.namespace");
        chart.Env("Operator__WatchNamespaces").Should().BeEmpty();
        chart.Env("Operator__Workers").Should().Be("16");
        chart.Env("Operator__MemoryTrimAfterMiB").Should().Be("32");
        chart.Env("Operator__LeaderElection__Enabled").Should().Be("true");
        chart.Env("Operator__LeaderElection__LeaseName").Should().Be("bluegreen-operator-leader");
        chart.Env("Operator__Health__InformerSyncTimeoutSeconds").Should().Be("300");
        chart.Env("Operator__Health__StalledWorkersSeconds").Should().Be("600");
        chart.Env("Operator__Health__MaxReconcileSeconds").Should().Be("900");
        env.Should().NotContain(v => v.Name == "OTEL_EXPORTER_OTLP_ENDPOINT", "no collector is configured by default");
        chart.Single<V1Deployment>().Spec.Template.Spec.ServiceAccountName.Should().Be(chart.Single<V1ServiceAccount>().Metadata.Name);
    }

    [Test]
    public async Task Should_pass_watched_namespaces_and_telemetry_endpoint_when_set()
    {
        var chart = await HelmCli.RenderAsync(
            [.. HelmCli.Variant("watch-namespaces-values.yaml"), "--set", "telemetry.otlpEndpoint=http://collector.observability:4317"]);

        chart.Env("Operator__WatchNamespaces").Should().Be("ml-serving,ml-staging");
        chart.Env("OTEL_EXPORTER_OTLP_ENDPOINT").Should().Be("http://collector.observability:4317");
    }

    [Test]
    public async Task Should_expose_metrics_through_a_service_that_selects_the_operator_pods()
    {
        var chart = await HelmCli.RenderAsync();
        var service = chart.Single<V1Service>();
        var podLabels = chart.Single<V1Deployment>().Spec.Template.Metadata.Labels;

        service.Spec.Ports.Should().ContainSingle().Which.Should().Match<V1ServicePort>(
            p => p.Name == "metrics" && p.Port == 8080 && p.TargetPort.Value == "http");
        podLabels.Should().Contain(service.Spec.Selector);
        chart.Single<V1Deployment>().Spec.Selector.MatchLabels.Should().Equal(service.Spec.Selector);
    }

    [TestCaseSource(typeof(HelmCli), nameof(HelmCli.Variants))]
    public async Task Should_never_run_two_operators_at_once_without_a_lease(string? valuesFile)
    {
        var chart = await HelmCli.RenderAsync(HelmCli.Variant(valuesFile));
        var strategy = chart.Single<V1Deployment>().Spec.Strategy;

        if (chart.Env("Operator__LeaderElection__Enabled") == "true")
        {
            // The surged pod only stands by: the old one writes until it releases the Lease, and the fence stops it after that.
            strategy.Type.Should().Be("RollingUpdate");
            strategy.RollingUpdate.MaxUnavailable.Value.Should().Be("0", "the old operator keeps leading until its successor is ready to take over");
        }
        else
        {
            strategy.Type.Should().Be("Recreate", "without a Lease only Recreate keeps the old and the new operator from running side by side");
            strategy.RollingUpdate.Should().BeNull();
            chart.Single<V1Deployment>().Spec.Replicas.Should().Be(1);
        }
    }

    [Test]
    public async Task Should_use_recreate_and_no_lease_when_leader_election_is_turned_off()
    {
        var chart = await HelmCli.RenderAsync(HelmCli.Variant("leader-election-off-values.yaml"));

        chart.Env("Operator__LeaderElection__Enabled").Should().Be("false");
        chart.Single<V1Deployment>().Spec.Strategy.Type.Should().Be("Recreate");
    }

    [Test]
    public async Task Should_pass_the_health_bounds_from_values()
    {
        var chart = await HelmCli.RenderAsync(HelmCli.Variant("leader-election-on-values.yaml"));

        chart.Env("Operator__Health__InformerSyncTimeoutSeconds").Should().Be("120");
        chart.Env("Operator__Health__StalledWorkersSeconds").Should().Be("300");
        chart.Env("Operator__Health__MaxReconcileSeconds").Should().Be("600");
    }

    [Test]
    public async Task Should_run_one_replica_with_leader_election_and_no_disruption_budget_by_default()
    {
        var chart = await HelmCli.RenderAsync();

        chart.Env("Operator__LeaderElection__Enabled").Should().Be("true", "only a Lease holder writes, even while a rolling update runs two pods");
        chart.Single<V1Deployment>().Spec.Replicas.Should().Be(1);
        chart.All<V1PodDisruptionBudget>().Should().BeEmpty();
        chart.All<ServiceMonitor>().Should().BeEmpty();
    }

    [Test]
    public async Task Should_elect_a_leader_and_budget_disruptions_with_several_replicas()
    {
        var chart = await HelmCli.RenderAsync(HelmCli.Variant("ha-values.yaml"));

        chart.Single<V1Deployment>().Spec.Replicas.Should().Be(2);
        chart.Env("Operator__LeaderElection__Enabled").Should().Be("true");
        var budget = chart.Single<V1PodDisruptionBudget>();
        budget.Spec.MaxUnavailable.Value.Should().Be("1");
        budget.Spec.Selector.MatchLabels.Should().Equal(chart.Single<V1Deployment>().Spec.Selector.MatchLabels);
    }

    [TestCase("1.20.2", "policy/v1beta1")]
    [TestCase("1.21.0", "policy/v1")]
    [TestCase("1.35.0", "policy/v1")]
    public async Task Should_use_the_disruption_budget_api_the_cluster_serves(string kubeVersion, string apiVersion)
    {
        var result = await HelmCli.TemplateAsync([.. HelmCli.Variant("ha-values.yaml"), "--kube-version", kubeVersion]);

        result.ExitCode.Should().Be(0, result.Describe());
        result.StandardOutput.Should().Contain($"apiVersion: {apiVersion}\nkind: PodDisruptionBudget");
    }

    [Test]
    public async Task Should_refuse_several_replicas_without_leader_election()
    {
        var result = await HelmCli.TemplateAsync("--set", "replicaCount=3", "--set", "leaderElection.enabled=false");

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain("several operators without a leader");
    }

    [Test]
    public async Task Should_render_a_service_monitor_scraping_the_metrics_port_when_enabled()
    {
        var chart = await HelmCli.RenderAsync(HelmCli.Variant("service-monitor-values.yaml"));
        var monitor = chart.Single<ServiceMonitor>();
        var service = chart.Single<V1Service>();

        monitor.Metadata.Labels.Should().Contain("release", "prometheus");
        monitor.Metadata.NamespaceProperty.Should().Be(HelmCli.ReleaseNamespace);
        monitor.Spec.NamespaceSelector.MatchNames.Should().Equal(HelmCli.ReleaseNamespace);
        service.Metadata.Labels.Should().Contain(monitor.Spec.Selector.MatchLabels);
        monitor.Spec.Endpoints.Should().ContainSingle().Which.Should().Match<ScrapeEndpoint>(e => e.Port == "metrics" && e.Path == "/metrics");
    }

    [Test]
    public async Task Should_refuse_a_service_monitor_without_the_metrics_service()
    {
        var result = await HelmCli.TemplateAsync("--set", "metrics.serviceMonitor.enabled=true", "--set", "metrics.service.enabled=false");

        result.ExitCode.Should().NotBe(0);
        result.StandardError.Should().Contain("metrics.service.enabled");
    }
}
