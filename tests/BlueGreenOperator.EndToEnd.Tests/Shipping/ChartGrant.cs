using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>
/// The chart's ServiceAccount and RBAC as <c>helm template</c> renders them, applied by the cluster admin without the
/// rest of the release (the operator runs as a test's child process): an identity for an operator process that has
/// exactly what an installed chart would give it.
/// </summary>
internal sealed record ChartGrant(string Release, string ReleaseNamespace, RenderedManifest Rbac, ServiceAccountKubeconfig Kubeconfig)
{
    static readonly string[] RbacKinds = ["ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"];
    static readonly string Scratch = Path.Combine(Path.GetTempPath(), $"bluegreen-e2e-identities-{Environment.ProcessId}");

    static IKubernetes Admin => EndToEndCluster.Client;

    /// <summary>The username the API server (and its audit log) knows the operator by.</summary>
    public string User => $"system:serviceaccount:{ReleaseNamespace}:{Kubeconfig.Account}";

    /// <param name="watched">The namespaces the operator watches (a Role in each); empty: all (a ClusterRole).</param>
    /// <param name="settings">More <c>--set</c> arguments for helm.</param>
    public static async Task<ChartGrant> InstallAsync(string release, string releaseNamespace, IReadOnlyList<string> watched, params string[] settings)
    {
        string[] scope = watched.Count == 0 ? [] : ["--set", $"watchNamespaces={{{string.Join(',', watched)}}}"];
        var rendered = RenderedManifest.Parse(await Helm.TemplateAsync(release, releaseNamespace, Helm.DefaultValues, [.. scope, .. settings]));
        var rbac = new RenderedManifest("", [.. rendered.Objects.Where(o => RbacKinds.Contains(o.Kind))]);
        foreach (var item in rbac.Objects)
            await CreateAsync(item);
        var account = rbac.OfKind("ServiceAccount").Single().Name;
        return new ChartGrant(release, releaseNamespace, rbac, await ServiceAccountKubeconfig.WriteAsync(Admin, releaseNamespace, account, Scratch));
    }

    /// <summary>ClusterRoles and their bindings outlive namespaces: removed by the test that made them.</summary>
    public async Task RemoveClusterObjectsAsync()
    {
        foreach (var binding in Rbac.OfKind("ClusterRoleBinding"))
            await Admin.RbacAuthorizationV1.DeleteClusterRoleBindingAsync(binding.Name);
        foreach (var role in Rbac.OfKind("ClusterRole"))
            await Admin.RbacAuthorizationV1.DeleteClusterRoleAsync(role.Name);
    }

    static Task CreateAsync(RenderedObject item) => item.Kind switch
    {
        "ServiceAccount" => Admin.CoreV1.CreateNamespacedServiceAccountAsync(item.As<V1ServiceAccount>(), item.Namespace!),
        "Role" => Admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(item.As<V1Role>(), item.Namespace!),
        "RoleBinding" => Admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(item.As<V1RoleBinding>(), item.Namespace!),
        "ClusterRole" => Admin.RbacAuthorizationV1.CreateClusterRoleAsync(item.As<V1ClusterRole>()),
        _ => Admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(item.As<V1ClusterRoleBinding>()),
    };
}

/// <summary>
/// The identity every test's operator runs as unless the test names another: the chart installed for the namespaces
/// it watches (the first is the release namespace, as a namespaced install puts it), with leader election, check
/// credentials (for Secrets named <c>model-token</c>) and replay data (ConfigMaps named <c>iris-replay</c>) on. Made
/// once per set of namespaces.
/// </summary>
internal static class ChartIdentity
{
    public const string Release = "bluegreen-operator";

    /// <summary>The chart's default Lease name: its Role allows no other.</summary>
    public const string LeaseName = "bluegreen-operator-leader";

    public static readonly string[] Settings =
        ["--set", "leaderElection.enabled=true", "--set", "checkCredentials.enabled=true", "--set", "checkCredentials.secretNames={model-token}",
         "--set", "replayData.enabled=true", "--set", "replayData.configMapNames={iris-replay}"];

    static readonly ConcurrentDictionary<string, Lazy<Task<ChartGrant>>> ByWatch = new(StringComparer.Ordinal);

    /// <summary>Every identity made so far in this run.</summary>
    public static IReadOnlyList<ChartGrant> Installed =>
        [.. ByWatch.Values.Where(v => v.IsValueCreated && v.Value.IsCompletedSuccessfully).Select(v => v.Value.Result)];

    public static Task<ChartGrant> ForAsync(string watchNamespaces) =>
        ByWatch.GetOrAdd(watchNamespaces, watch => new Lazy<Task<ChartGrant>>(() =>
        {
            var namespaces = watch.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return ChartGrant.InstallAsync(Release, namespaces[0], namespaces, Settings);
        })).Value;
}
