using BlueGreenOperator.Api;
using BlueGreenOperator.LocalCluster;
using BlueGreenOperator.LocalCluster.Testing;
using k8s;

namespace BlueGreenOperator.EndToEnd.Tests.Tenancy;

/// <summary>BlueGreenDeployments of any name in a test's namespace, created and waited for as the cluster admin.</summary>
internal static class TenantObjects
{
    static IKubernetes Admin => EndToEndCluster.Client;

    public static Task CreateAsync(string ns, BlueGreenDeployment resource)
    {
        resource.Metadata.NamespaceProperty = ns;
        return Admin.CustomObjects.CreateNamespacedCustomObjectAsync(resource, WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural);
    }

    public static Task<BlueGreenDeployment> GetAsync(string ns, string name) =>
        Admin.CustomObjects.GetNamespacedCustomObjectAsync<BlueGreenDeployment>(WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural, name);

    /// <summary>Waits for the object to reach <paramref name="phase"/>; the operator's log is in the failure message.</summary>
    public static Task<BlueGreenDeployment> WaitForPhaseAsync(string ns, string name, string phase, OperatorProcess op, int seconds = 180) =>
        Eventually.WaitForAsync(
            async ct =>
            {
                var current = await Admin.CustomObjects.GetNamespacedCustomObjectAsync<BlueGreenDeployment>(
                    WellKnown.Group, WellKnown.Version, ns, WellKnown.Plural, name, cancellationToken: ct);
                return current.Status?.Phase == phase ? current : null;
            },
            TimeSpan.FromSeconds(seconds),
            $"{ns}/{name} to be {phase} (operator log:\n{string.Join('\n', op.Log.Split('\n').TakeLast(40))})");
}
