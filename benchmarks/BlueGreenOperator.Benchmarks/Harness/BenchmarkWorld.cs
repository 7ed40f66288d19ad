using BlueGreenOperator.Api;
using BlueGreenOperator.LocalCluster.Testing;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Benchmarks.Harness;

/// <summary>What every measurement works with: the namespace, the operator under test, and watches of the objects it changes.</summary>
internal sealed record BenchmarkWorld(
    BenchmarkNamespace Space,
    OperatorProcess Operator,
    ObjectHistory<BlueGreenDeployment> Rollouts,
    ObjectHistory<V1Service> Services,
    ILogger Logger)
{
    /// <summary>Waits until the operator has seen <paramref name="applied"/>'s generation and reports <paramref name="phase"/> serving <paramref name="modelVersion"/>.</summary>
    public Task<Sighting<BlueGreenDeployment>> ReachedAsync(
        BlueGreenDeployment applied, TimeSpan notBefore, string phase, string modelVersion, TimeSpan timeout, CancellationToken cancellationToken) =>
        Rollouts.FirstAsync(
            applied.Metadata.Name,
            notBefore,
            item => BenchmarkNamespace.Reached(item, applied.Metadata.Generation ?? 0, phase, modelVersion),
            timeout,
            $"phase {phase} serving {modelVersion}",
            cancellationToken);

    /// <summary>Waits until the Service <paramref name="service"/> selects <paramref name="color"/>.</summary>
    public Task<Sighting<V1Service>> SelectsAsync(string service, string color, TimeSpan notBefore, TimeSpan timeout, CancellationToken cancellationToken) =>
        Services.FirstAsync(service, notBefore, s => BenchmarkNamespace.SelectedColor(s) == color, timeout, $"the selector to pick {color}", cancellationToken);
}
