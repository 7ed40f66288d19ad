using BlueGreenOperator.Api;
using BlueGreenOperator.Benchmarks.Harness;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Benchmarks.Measurements;

/// <summary>
/// The floor under any switch: one merge PATCH of a Service selector from this process to the same API server,
/// the single write the operator's switch consists of.
/// </summary>
internal sealed class SelectorPatchBaseline(BenchmarkNamespace space)
{
    const string ServiceName = "selector-baseline";
    const int WarmUp = 5;

    public async Task<IReadOnlyList<double>> MeasureAsync(int patches, CancellationToken cancellationToken)
    {
        await space.Client.CoreV1.CreateNamespacedServiceAsync(
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

        var milliseconds = new List<double>(patches);
        for (var i = 0; i < WarmUp + patches; i++)
        {
            var patch = new V1Patch(new { spec = new { selector = Selector(i % 2 == 0 ? "green" : "blue") } }, V1Patch.PatchType.MergePatch);
            var started = RunClock.Now;
            await space.Client.CoreV1.PatchNamespacedServiceAsync(patch, ServiceName, space.Name, cancellationToken: cancellationToken);
            if (i >= WarmUp)
                milliseconds.Add((RunClock.Now - started).TotalMilliseconds);
        }

        await space.Client.CoreV1.DeleteNamespacedServiceAsync(ServiceName, space.Name, cancellationToken: cancellationToken);
        return milliseconds;
    }

    static Dictionary<string, string> Selector(string color) => new()
    {
        [WellKnown.InstanceLabel] = ServiceName,
        [WellKnown.ColorLabel] = color,
    };
}
