using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Rollout;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueGreenOperator.Tests.Checks;

/// <summary>Builders for check specs, pods and runners used by the check tests.</summary>
internal static class Probing
{
    public const string Revision = "8f1e2a44";

    /// <summary>The check tests' one shared client, as the operator shares one.</summary>
    // Connecting to a loopback server cannot fail but can be slow on a loaded machine: eight hostile servers in this
    // process stalled connects past 2 s. What these tests time is the attempt, never the connect.
    public static readonly HttpClient Client = SmokeTestRunner.CreateHttpClient(Patience.Wait);

    /// <summary>The namespace check runs of these tests belong to.</summary>
    public const string Namespace = "ml-serving";

    public static SmokeTestRunner Runner(Uri? prometheus = null, CheckLimits? limits = null) =>
        new(Client, new PrometheusClient(prometheus), NullLogger<SmokeTestRunner>.Instance, limits);

    public static CheckRun Smoke(IReadOnlyList<CheckTarget> pods, params CheckSpec[] checks) =>
        new(Namespace, CheckKind.Smoke, Color.Green, Revision, pods, checks);

    public static CheckRun Analysis(IReadOnlyList<CheckTarget> pods, params CheckSpec[] checks) =>
        new(Namespace, CheckKind.Analysis, Color.Green, Revision, pods, checks);

    public static IReadOnlyList<CheckTarget> Pods(int count, string ip = "127.0.0.1") =>
        [.. Enumerable.Range(0, count).Select(i => new CheckTarget($"fraud-model-green-{i}", ip))];

    public static CheckSpec Golden(int port, double[]? expect = null, double tolerance = 0, Action<CheckSpec>? edit = null)
    {
        var check = new CheckSpec
        {
            Name = "golden",
            Inference = new InferenceCheckSpec
            {
                Port = port,
                Model = ModelServer.Model,
                Inputs = [new InferenceTensorSpec { Name = "input-0", Shape = [1, 4], Datatype = "FP32", Data = [5.1, 3.5, 1.4, 0.2] }],
                ExpectOutputs = [new ExpectedOutputSpec { Name = "output-0", Data = expect ?? [0], Tolerance = tolerance }],
            },
        };
        edit?.Invoke(check);
        return check;
    }

    public static CheckSpec Http(string name, HttpCheckSpec http, Action<CheckSpec>? edit = null)
    {
        var check = new CheckSpec { Name = name, Http = http };
        edit?.Invoke(check);
        return check;
    }

    public static Task<CheckReport> RunAsync(IReadOnlyList<CheckTarget> pods, params CheckSpec[] checks) =>
        Runner().RunAsync(Smoke(pods, checks), CancellationToken.None);
}
