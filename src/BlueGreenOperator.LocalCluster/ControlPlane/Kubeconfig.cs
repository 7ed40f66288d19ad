using System.Text;

namespace BlueGreenOperator.LocalCluster.ControlPlane;

/// <summary>Writes an admin kubeconfig that embeds the cluster CA and a bearer token.</summary>
internal static class Kubeconfig
{
    public static string Render(string server, string caPem, string token, string contextName) =>
        $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: {contextName}
          cluster:
            server: {server}
            certificate-authority-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(caPem))}
        users:
        - name: {contextName}-admin
          user:
            token: {token}
        contexts:
        - name: {contextName}
          context:
            cluster: {contextName}
            user: {contextName}-admin
            namespace: default
        current-context: {contextName}

        """;
}
