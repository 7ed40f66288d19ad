using k8s.Models;

namespace BlueGreenOperator.Packaging.Tests.Helm;

[TestFixture]
internal sealed class ChartRbacTests
{
    private const string LeaseName = "bluegreen-operator-leader";

    /// <summary>What the operator does in a watched namespace, one "group/resource: verbs" line per rule.</summary>
    private static readonly string[] WatchRules =
    [
        "bluegreen.dev/bluegreendeployments: get,list,patch,watch",
        "bluegreen.dev/bluegreendeployments/status: patch,update",
        "bluegreen.dev/bluegreendeployments/finalizers: update",
        "apps/deployments: create,get,list,patch,watch",
        "/services: create,get,list,patch,watch",
        "apps/controllerrevisions: create,delete,get,list,watch",
        "/pods: list,watch",
        "/events: create",
        "batch/jobs: create,delete,get,list",
    ];

    private static readonly string[] LeaseRules =
    [
        "coordination.k8s.io/leases: create",
        $"coordination.k8s.io/leases[{LeaseName}]: get,update",
    ];

    [Test]
    public async Task Should_grant_exactly_the_operator_rules_cluster_wide_by_default()
    {
        var chart = await HelmCli.RenderAsync();

        var role = chart.Single<V1ClusterRole>();
        Describe(role.Rules).Should().BeEquivalentTo(WatchRules);
        var binding = chart.Single<V1ClusterRoleBinding>();
        binding.RoleRef.Should().Match<V1RoleRef>(r => r.Kind == "ClusterRole" && r.Name == role.Metadata.Name);
        BindsTheOperator(binding.Subjects, chart);
        chart.All<V1Role>().Should().ContainSingle("leader election is on by default: the only Role is the Lease's")
            .Which.Rules.Should().OnlyContain(rule => rule.ApiGroups.Contains("coordination.k8s.io"));
    }

    [Test]
    public async Task Should_grant_the_rules_only_in_the_watched_namespaces_when_they_are_listed()
    {
        var chart = await HelmCli.RenderAsync(HelmCli.Variant("watch-namespaces-values.yaml"));

        chart.All<V1ClusterRole>().Should().BeEmpty();
        chart.All<V1ClusterRoleBinding>().Should().BeEmpty();
        var roles = chart.All<V1Role>().Where(r => !r.Rules.Any(rule => rule.ApiGroups.Contains("coordination.k8s.io"))).ToList();
        roles.Select(r => r.Metadata.NamespaceProperty).Should().BeEquivalentTo("ml-serving", "ml-staging");
        roles.Should().AllSatisfy(role => Describe(role.Rules).Should().BeEquivalentTo(WatchRules));
        foreach (var role in roles)
        {
            var binding = chart.All<V1RoleBinding>().Should().ContainSingle(b => b.Metadata.NamespaceProperty == role.Metadata.NamespaceProperty).Subject;
            binding.RoleRef.Should().Match<V1RoleRef>(r => r.Kind == "Role" && r.Name == role.Metadata.Name);
            BindsTheOperator(binding.Subjects, chart);
        }
    }

    [TestCase(null)]
    [TestCase("ha-values.yaml")]
    [TestCase("leader-election-on-values.yaml")]
    public async Task Should_grant_lease_access_only_in_the_release_namespace_when_electing_a_leader(string? valuesFile)
    {
        var chart = await HelmCli.RenderAsync(HelmCli.Variant(valuesFile));

        var leaseRole = chart.All<V1Role>().Should().ContainSingle(r => r.Rules.Any(rule => rule.Resources.Contains("leases"))).Subject;
        leaseRole.Metadata.NamespaceProperty.Should().Be(HelmCli.ReleaseNamespace);
        Describe(leaseRole.Rules).Should().BeEquivalentTo(LeaseRules);
        chart.All<V1ClusterRole>().SelectMany(r => r.Rules).Should().NotContain(rule => rule.ApiGroups.Contains("coordination.k8s.io"));
        var binding = chart.All<V1RoleBinding>().Should().ContainSingle(b => b.RoleRef.Name == leaseRole.Metadata.Name).Subject;
        binding.Metadata.NamespaceProperty.Should().Be(HelmCli.ReleaseNamespace);
        BindsTheOperator(binding.Subjects, chart);
        chart.Env("Operator__LeaderElection__LeaseName").Should().Be(LeaseName, "the Role names this Lease only");
    }

    [Test]
    public async Task Should_grant_no_lease_access_when_leader_election_is_off()
    {
        var chart = await HelmCli.RenderAsync(HelmCli.Variant("leader-election-off-values.yaml"));

        chart.AllRules.Should().NotContain(rule => rule.ApiGroups.Contains("coordination.k8s.io"));
        chart.Env("Operator__LeaderElection__Enabled").Should().Be("false");
    }

    [TestCaseSource(typeof(HelmCli), nameof(HelmCli.Variants))]
    public async Task Should_never_grant_secrets_configmaps_or_wildcards(string? valuesFile)
    {
        var chart = await HelmCli.RenderAsync(HelmCli.Variant(valuesFile));

        chart.AllRules.Should().NotBeEmpty();
        foreach (var rule in chart.AllRules)
        {
            rule.Resources.Should().NotContain(["secrets", "configmaps", "*"]);
            rule.Verbs.Should().NotContain(["*", "escalate", "bind", "impersonate", "deletecollection"]);
            rule.ApiGroups.Should().NotContain("*");
            rule.NonResourceURLs.Should().BeNullOrEmpty();
        }
    }

    [TestCase()]
    [TestCase("--set", "watchNamespaces={ml-serving,ml-staging}")]
    public async Task Should_grant_only_get_on_secrets_and_only_when_check_credentials_are_enabled(params string[] scope)
    {
        var off = await HelmCli.RenderAsync(scope);
        var any = await HelmCli.RenderAsync([.. scope, "--set", "checkCredentials.enabled=true"]);
        var named = await HelmCli.RenderAsync([.. scope, "--set", "checkCredentials.enabled=true", "--set", "checkCredentials.secretNames={model-token}"]);

        off.AllRules.Should().NotContain(rule => rule.Resources.Contains("secrets"));
        foreach (var (chart, expected) in new[] { (any, "/secrets: get"), (named, "/secrets[model-token]: get") })
        {
            var grants = chart.All<V1ClusterRole>().Select(r => r.Rules).Concat(chart.All<V1Role>().Where(r => !r.Metadata.Name.EndsWith("-leader-election", StringComparison.Ordinal)).Select(r => r.Rules)).ToList();
            grants.Should().NotBeEmpty();
            grants.Should().AllSatisfy(rules => Describe(rules).Should().BeEquivalentTo([.. WatchRules, expected], "every watched scope gets the same one extra rule"));
        }
    }

    [TestCase()]
    [TestCase("--set", "watchNamespaces={ml-serving,ml-staging}")]
    public async Task Should_grant_only_get_on_configmaps_and_only_when_replay_data_is_enabled(params string[] scope)
    {
        var off = await HelmCli.RenderAsync(scope);
        var any = await HelmCli.RenderAsync([.. scope, "--set", "replayData.enabled=true"]);
        var named = await HelmCli.RenderAsync([.. scope, "--set", "replayData.enabled=true", "--set", "replayData.configMapNames={iris-replay}"]);

        off.AllRules.Should().NotContain(rule => rule.Resources.Contains("configmaps"));
        foreach (var (chart, expected) in new[] { (any, "/configmaps: get"), (named, "/configmaps[iris-replay]: get") })
        {
            var grants = chart.All<V1ClusterRole>().Select(r => r.Rules).Concat(chart.All<V1Role>().Where(r => !r.Metadata.Name.EndsWith("-leader-election", StringComparison.Ordinal)).Select(r => r.Rules)).ToList();
            grants.Should().NotBeEmpty();
            grants.Should().AllSatisfy(rules => Describe(rules).Should().BeEquivalentTo([.. WatchRules, expected], "every watched scope gets the same one extra rule"));
        }
    }

    [TestCaseSource(typeof(HelmCli), nameof(HelmCli.Variants))]
    public async Task Should_place_every_namespaced_object_in_the_release_namespace_except_watched_namespace_grants(string? valuesFile)
    {
        var chart = await HelmCli.RenderAsync(HelmCli.Variant(valuesFile));
        var grantsInWatchedNamespaces = chart.All<V1Role>().Cast<k8s.IKubernetesObject<V1ObjectMeta>>()
            .Concat(chart.All<V1RoleBinding>())
            .Where(o => !o.Metadata.Name.EndsWith("-leader-election", StringComparison.Ordinal));

        var others = chart.Objects.Except(grantsInWatchedNamespaces).Where(o => o is not V1ClusterRole and not V1ClusterRoleBinding);
        others.Should().AllSatisfy(o => o.Metadata.NamespaceProperty.Should().Be(HelmCli.ReleaseNamespace, "{0} {1}", o.Kind, o.Metadata.Name));
    }

    [Test]
    public async Task Should_leave_rbac_to_the_cluster_admin_when_disabled()
    {
        var chart = await HelmCli.RenderAsync("--set", "rbac.create=false", "--set", "replicaCount=2");

        chart.AllRules.Should().BeEmpty();
        chart.All<V1RoleBinding>().Should().BeEmpty();
        chart.All<V1ClusterRoleBinding>().Should().BeEmpty();
    }

    private static void BindsTheOperator(IList<Rbacv1Subject> subjects, RenderedChart chart) =>
        subjects.Should().ContainSingle().Which.Should().Match<Rbacv1Subject>(s =>
            s.Kind == "ServiceAccount" && s.Name == chart.Single<V1ServiceAccount>().Metadata.Name && s.NamespaceProperty == HelmCli.ReleaseNamespace);

    private static IEnumerable<string> Describe(IEnumerable<V1PolicyRule> rules) =>
        from rule in rules
        from apiGroup in rule.ApiGroups
        from resource in rule.Resources
        let names = rule.ResourceNames is { Count: > 0 } ? $"[{string.Join(',', rule.ResourceNames)}]" : string.Empty
        select $"{apiGroup}/{resource}{names}: {string.Join(',', rule.Verbs.Order(StringComparer.Ordinal))}";
}
