using BlueGreenOperator.Api;
using BlueGreenOperator.Benchmarks.Harness;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Benchmarks.Measurements;

/// <summary>
/// The floor under any switch: one merge PATCH of a Service selector from this process to the same API server,
/// the single write the operator's switch consists of. Measured in small batches between rollouts, so that the
/// baseline and the switches see the same machine load.
/// </summary>
internal sealed class SelectorPatchBaseline(BenchmarkNamespace space)
{
    const string ServiceName = "selector-baseline";
    const int WarmUp = 5;

    readonly List<double> milliseconds = [];
    int sent;

    public IReadOnlyList<double> Milliseconds => milliseconds;

    public async Task MeasureAsync(int patches, CancellationToken cancellationToken)
    {
        if (sent == 0)
        {
            await CreateServiceAsync(cancellationToken);
            for (var i = 0; i < WarmUp; i++)
                await PatchAsync(cancellationToken);
        }

        for (var i = 0; i < patches; i++)
            milliseconds.Add((await PatchAsync(cancellationToken)).TotalMilliseconds);
    }

    async Task<TimeSpan> PatchAsync(CancellationToken cancellationToken)
    {
        var patch = new V1Patch(new { spec = new { selector = Selector(sent++ % 2 == 0 ? "green" : "blue") } }, V1Patch.PatchType.MergePatch);
        var started = RunClock.Now;
        await space.Client.CoreV1.PatchNamespacedServiceAsync(patch, ServiceName, space.Name, cancellationToken: cancellationToken);
        return RunClock.Now - started;
    }

    // Left in place afterwards: a 1.20 API server answers a Service delete with a Status the typed client cannot read, and the cluster goes anyway.
    Task CreateServiceAsync(CancellationToken cancellationToken) => space.Client.CoreV1.CreateNamespacedServiceAsync(
        new V1Service
        {
            Metadata = new V1ObjectMeta { Name = ServiceName },
            Spec = new V1ServiceSpec
            {
                Selector = Selector("blue"),
                Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = 8080 }],
            },
        },
        space.Name,
        cancellationToken: cancellationToken);

    static Dictionary<string, string> Selector(string color) => new()
    {
        [WellKnown.InstanceLabel] = ServiceName,
        [WellKnown.ColorLabel] = color,
    };
}
