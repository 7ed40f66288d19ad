using System.Text;
using BlueGreenOperator.LocalCluster;
using k8s;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>
/// A kubeconfig that authenticates as a ServiceAccount: the token the 1.20 token controller put in the account's
/// <c>kubernetes.io/service-account-token</c> Secret, with the admin kubeconfig's server and CA.
/// </summary>
internal sealed record ServiceAccountKubeconfig(string Path, string Account)
{
    public static async Task<ServiceAccountKubeconfig> WriteAsync(IKubernetes admin, string ns, string account, string directory)
    {
        var secretName = await Eventually.WaitForAsync(
            async ct => (await admin.CoreV1.ReadNamespacedServiceAccountAsync(account, ns, cancellationToken: ct)).Secrets?.FirstOrDefault()?.Name,
            TimeSpan.FromSeconds(60), $"a token Secret for the ServiceAccount {ns}/{account}");
        var secret = await admin.CoreV1.ReadNamespacedSecretAsync(secretName, ns);
        if (secret.Type != "kubernetes.io/service-account-token" || secret.Data is null || !secret.Data.TryGetValue("token", out var token))
            throw new InvalidOperationException($"Secret {ns}/{secretName} is not a service-account token");

        var adminConfig = await KubernetesClientConfiguration.LoadKubeConfigAsync(EndToEndCluster.Kubeconfig);
        var cluster = adminConfig.Clusters.Single().ClusterEndpoint;
        var path = System.IO.Path.Combine(directory, $"kubeconfig-{ns}-{account}");
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: local
              cluster:
                server: {cluster.Server}
                certificate-authority-data: {cluster.CertificateAuthorityData}
            users:
            - name: {account}
              user:
                token: {Encoding.UTF8.GetString(token)}
            contexts:
            - name: {account}
              context:
                cluster: local
                user: {account}
                namespace: {ns}
            current-context: {account}

            """);
        return new ServiceAccountKubeconfig(path, account);
    }

    public IKubernetes CreateClient() => new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Path));
}
