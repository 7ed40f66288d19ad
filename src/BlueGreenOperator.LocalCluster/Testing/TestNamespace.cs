using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.LocalCluster.Testing;

/// <summary>A namespace of its own for one test (or benchmark run), deleted with everything in it afterwards.</summary>
public sealed class TestNamespace(IKubernetes client, string name) : IAsyncDisposable
{
    public string Name { get; } = name;

    public static async Task<TestNamespace> CreateAsync(IKubernetes client, string hint, CancellationToken cancellationToken = default)
    {
        var name = $"{Sanitize(hint)}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } }, cancellationToken: cancellationToken);

        // 1.20's ServiceAccount admission refuses pods until the namespace's default account has its token.
        await Eventually.UntilAsync(
            async token => (await client.CoreV1.ListNamespacedServiceAccountAsync(name, cancellationToken: token)).Items
                .Any(account => account.Metadata.Name == "default" && account.Secrets is { Count: > 0 }),
            TimeSpan.FromSeconds(60),
            $"the default service account of {name}",
            cancellationToken);
        return new TestNamespace(client, name);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await client.CoreV1.DeleteNamespaceAsync(Name, new V1DeleteOptions { PropagationPolicy = "Background" });
        }
        catch (k8s.Autorest.HttpOperationException)
        {
            // Already gone, or the cluster is stopping; `down` removes everything either way.
        }
    }

    private static string Sanitize(string hint)
    {
        var builder = new StringBuilder();
        foreach (var character in hint.ToLowerInvariant())
        {
            builder.Append(char.IsAsciiLetterOrDigit(character) ? character : '-');
        }

        var cleaned = builder.ToString().Trim('-');
        while (cleaned.Contains("--", StringComparison.Ordinal))
        {
            cleaned = cleaned.Replace("--", "-", StringComparison.Ordinal);
        }

        return (cleaned.Length > 40 ? cleaned[..40] : cleaned).Trim('-') is { Length: > 0 } result ? result : "test";
    }
}
