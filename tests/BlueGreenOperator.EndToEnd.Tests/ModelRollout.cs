using System.Net.Http.Json;
using System.Text.Json.Nodes;
using BlueGreenOperator.Api;
using BlueGreenOperator.EndToEnd.Tests.Harness;
using BlueGreenOperator.LocalCluster;
using BlueGreenOperator.LocalCluster.Testing;
using FluentAssertions;
using k8s;
using k8s.Autorest;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>
/// One test's world: its own namespace, the example model server as the workload, the real operator watching the
/// namespace, and, from <see cref="Watch"/> to the end, a load generator sending inference requests through the active
/// Service's Endpoints and an invariant monitor.
/// </summary>
internal sealed class ModelRollout : IAsyncDisposable
{
    public const string Name = "iris";
    public const string ServiceName = "iris";
    // No connection outlives its request: pod addresses come back in later tests, a pooled connection to one would meet a stranger.
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5), DefaultRequestHeaders = { ConnectionClose = true } };
    readonly List<(string What, Func<bool> Happened)> _forbidden = [];
    bool _printed;

    ModelRollout(TestNamespace ns, OperatorProcess op)
    {
        Namespace = ns;
        Operator = op;
    }

    public static IKubernetes Client => EndToEndCluster.Client;

    public TestNamespace Namespace { get; }

    public string Ns => Namespace.Name;

    public OperatorProcess Operator { get; set; }

    public InvariantMonitor? Monitor { get; private set; }

    public TrafficGenerator? Traffic { get; private set; }

    public static async Task<ModelRollout> StartAsync(bool startOperator = true)
    {
        var ns = await TestNamespace.CreateAsync(Client, TestContext.CurrentContext.Test.MethodName ?? "e2e");
        var op = startOperator ? await OperatorProcess.StartAsync(ns.Name) : null!;
        return new ModelRollout(ns, op);
    }

    /// <summary>
    /// A BlueGreenDeployment of the example model server; <paramref name="weights"/> picks the trained model (v1 or v2).
    /// Its pods report <paramref name="version"/> as their model version (REPORTED_VERSION), so that every answer names
    /// the release that gave it.
    /// </summary>
    public static BlueGreenDeployment Model(string version, string weights, int replicas = 3, IDictionary<string, string>? knobs = null, Action<BlueGreenDeploymentSpec>? edit = null)
    {
        var env = new List<V1EnvVar> { new() { Name = "MODEL_VERSION", Value = weights } };
        if (knobs?.ContainsKey(ReportedVersion) != true)
            env.Add(new V1EnvVar { Name = ReportedVersion, Value = version });
        env.AddRange((knobs ?? new Dictionary<string, string>()).Select(k => new V1EnvVar { Name = k.Key, Value = k.Value }));
        var resource = new BlueGreenDeployment
        {
            Metadata = new V1ObjectMeta { Name = Name },
            Spec = new BlueGreenDeploymentSpec
            {
                Replicas = replicas,
                Model = new ModelSpec { Name = "iris", Version = version },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "iris" } },
                    Spec = new V1PodSpec
                    {
                        TerminationGracePeriodSeconds = 2,
                        Containers =
                        [
                            new V1Container
                            {
                                Name = "server",
                                Image = $"bluegreen.dev/example-model-server:{weights}",
                                Env = env,
                                Ports = [new V1ContainerPort { ContainerPort = 8080, Name = "http" }],
                                ReadinessProbe = new V1Probe
                                {
                                    HttpGet = new V1HTTPGetAction { Path = "/v2/health/ready", Port = 8080 },
                                    PeriodSeconds = 1,
                                    FailureThreshold = 1,
                                },
                            },
                        ],
                    },
                },
                Service = new ServiceSpec { Name = ServiceName, Ports = [new ServicePortSpec { Name = "http", Port = 80, TargetPort = 8080 }] },
                Strategy = new StrategySpec
                {
                    ProgressDeadlineSeconds = 90,
                    ScaleDownDelaySeconds = 3,
                    StandbyReplicas = 1,
                    StabilizationSeconds = 12,
                },
                SmokeTests =
                [
                    new CheckSpec { Name = "ready", Http = new HttpCheckSpec { Port = 8080, Path = "/v2/health/ready", ExpectStatus = 200 } },
                    new CheckSpec { Name = "golden", Inference = Golden(), Repeat = 2 },
                ],
            },
        };
        edit?.Invoke(resource.Spec);
        return resource;
    }

    /// <summary>
    /// A release that passes smoke tests (they bound no latency) but misses the analysis latency bound after the switch,
    /// so the operator rolls it back by itself.
    /// </summary>
    public static BlueGreenDeployment SlowRelease(string version = "v2") =>
        Model(version, "v2", knobs: new Dictionary<string, string> { ["ADDED_LATENCY_MS"] = "400" }, edit: s =>
        {
            s.Strategy.StabilizationSeconds = 120;
            s.Strategy.ScaleDownDelaySeconds = 1;
            s.Analysis = new AnalysisSpec
            {
                IntervalSeconds = 1,
                FailureLimit = 2,
                Checks = [new CheckSpec { Name = "latency", Inference = Golden(), MaxLatencyMs = 150 }],
            };
        });

    /// <summary>A job check whose one container runs <paramref name="script"/> with sh (docs/design.md, rows J).</summary>
    public static CheckSpec ScriptJob(string name, string script) => new()
    {
        Name = name,
        Job = new JobCheckSpec
        {
            Template = new V1PodTemplateSpec
            {
                Spec = new V1PodSpec
                {
                    TerminationGracePeriodSeconds = 1,
                    Containers =
                    [
                        new V1Container { Name = "evaluate", Image = BlueGreenOperator.LocalCluster.Kubelet.ImageCatalog.TinyHttpImage, Command = ["sh", "-c", script] },
                    ],
                },
            },
        },
    };

    /// <summary>The setosa golden prediction: class 0 from both trained versions.</summary>
    public static InferenceCheckSpec Golden() => new()
    {
        Port = 8080,
        Model = "iris",
        Inputs = [new InferenceTensorSpec { Name = "input-0", Shape = [1, 4], Datatype = "FP32", Data = [5.1, 3.5, 1.4, 0.2] }],
        ExpectOutputs = [new ExpectedOutputSpec { Name = "output-0", Data = [0] }],
    };

    /// <summary>The model server's knob that names the version its answers report.</summary>
    public const string ReportedVersion = "REPORTED_VERSION";

    /// <summary>
    /// Starts the load generator and the invariant monitor; <paramref name="neverServe"/> are model versions that must
    /// never answer through the active Service nor have a pod behind it.
    /// </summary>
    public void Watch(params string[] neverServe) => Watch(new TrafficOptions(), neverServe);

    /// <summary>As <see cref="Watch(string[])"/>, with a load generator as light or heavy as <paramref name="traffic"/> says.</summary>
    public void Watch(TrafficOptions traffic, params string[] neverServe)
    {
        Traffic ??= TrafficGenerator.Start(Client, Ns, ServiceName, neverServe, traffic);
        Monitor ??= new InvariantMonitor(Client, Ns, Name, ServiceName, Traffic, neverServe);
    }

    /// <summary>Model versions that must never serve from now on, for the monitor and the load generator alike.</summary>
    public void NeverServe(params string[] versions)
    {
        Monitor!.NeverServe(versions);
        Traffic!.DeclareUntested(versions);
    }

    /// <summary>Model versions that may serve from now on: the test is about to promote a release it held back.</summary>
    public void MayServe(params string[] versions)
    {
        Monitor!.MayServe(versions);
        Traffic!.DeclareTested(versions);
    }

    /// <summary>
    /// Stops the load generator and the monitor, prints what they saw, and asserts that nothing broke: no violation,
    /// the monitor really looked, the generator really sent, and no request was answered by a version that must never serve.
    /// Failed requests are printed, not asserted.
    /// </summary>
    public async Task<TrafficReport> AssertInvariantsHeldAsync()
    {
        var report = await StopWatchingAsync();
        ThrowIfBroken();
        Monitor!.Violations.Should().BeEmpty();
        Monitor.Observations.Should().BeGreaterThan(5, "the monitor must really have looked");
        report.Requests.Should().BeGreaterThan(0, "the load generator must really have sent requests");
        report.Untested.Should().Be(0, "no request may be answered by a version that must never serve: {0}", report.DescribeUntested());
        return report;
    }

    /// <summary>Stops the load generator and the monitor and prints their reports (once).</summary>
    public async Task<TrafficReport> StopWatchingAsync()
    {
        if (Monitor is null || Traffic is null)
            throw new InvalidOperationException("Watch() was not called");
        await Monitor.DisposeAsync();
        var report = await Traffic.StopAsync();
        if (!_printed)
        {
            _printed = true;
            await TestContext.Out.WriteLineAsync(report.ToString());
            await TestContext.Out.WriteLineAsync(Monitor.Summary());
        }

        return report;
    }

    /// <summary>
    /// Something the test forbids beyond the monitor's invariants (a colour scaled below its size, scaled up again after
    /// an abort); waits, holds and <see cref="AssertInvariantsHeldAsync"/> fail as soon as it happened.
    /// </summary>
    public void Forbid(string what, Func<bool> happened)
    {
        lock (_forbidden)
            _forbidden.Add((what, happened));
    }

    /// <summary>Throws the first violation of an invariant or of what the test forbids.</summary>
    public void ThrowIfBroken()
    {
        Monitor?.ThrowIfViolated();
        lock (_forbidden)
        {
            if (_forbidden.FirstOrDefault(f => f.Happened()) is { What: { } what })
                throw new InvariantViolatedException($"Forbidden, and it happened: {what}");
        }
    }

    /// <summary>
    /// Waits until the probe finds something. Fails at once, with the violation, when an invariant breaks meanwhile,
    /// and with the operator's latest log lines on a timeout.
    /// </summary>
    public async Task<T> WaitForValueAsync<T>(Func<Task<T?>> probe, string description, int seconds = 60)
        where T : class
    {
        using var broken = new CancellationTokenSource();
        InvariantViolatedException? violation = null;
        try
        {
            return await Eventually.WaitForAsync(
                async _ =>
                {
                    try
                    {
                        ThrowIfBroken();
                    }
                    catch (InvariantViolatedException e)
                    {
                        violation = e;
                        await broken.CancelAsync();
                        return null;
                    }

                    return await probe();
                },
                TimeSpan.FromSeconds(seconds), description, broken.Token, TimeSpan.FromMilliseconds(200));
        }
        catch (OperationCanceledException) when (violation is not null)
        {
            throw new InvariantViolatedException($"While waiting for {description}: {violation.Message}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\noperator log, last lines:\n{Tail(Operator?.Log)}", e.InnerException);
        }
    }

    /// <summary>Waits until the condition holds; see <see cref="WaitForValueAsync{T}"/>.</summary>
    public Task UntilAsync(Func<Task<bool>> condition, string description, int seconds = 60) =>
        WaitForValueAsync<object>(async () => await condition() ? true : null, description, seconds);

    /// <summary>Lets the world run for a while, the monitor and the load generator watching: what the operator does wrong meanwhile fails the test at once.</summary>
    public async Task HoldAsync(TimeSpan duration)
    {
        var end = DateTime.UtcNow + duration;
        while (DateTime.UtcNow < end)
        {
            ThrowIfBroken();
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }

        ThrowIfBroken();
    }

    /// <summary>Waits until every ready address of the active Service answers <paramref name="version"/>, <paramref name="replicas"/> of them.</summary>
    public Task WaitForServingAsync(string version, int replicas = 3, int seconds = 60) => UntilAsync(
        async () =>
        {
            var served = await ServedModelVersionsAsync();
            return served.Count == replicas && served.All(v => v == version);
        },
        $"{replicas} ready addresses of the active Service answering {version}", seconds);

    /// <summary>Creates the object or replaces its spec (a GitOps sync or a kubectl apply).</summary>
    public async Task ApplyAsync(BlueGreenDeployment desired)
    {
        desired.Metadata.NamespaceProperty = Ns;
        for (var attempt = 0; ; attempt++)
        {
            var current = await GetOrNullAsync();
            try
            {
                if (current is null)
                {
                    await Client.CustomObjects.CreateNamespacedCustomObjectAsync<BlueGreenDeployment>(desired, WellKnown.Group, WellKnown.Version, Ns, WellKnown.Plural);
                }
                else
                {
                    current.Spec = desired.Spec;
                    await Client.CustomObjects.ReplaceNamespacedCustomObjectAsync<BlueGreenDeployment>(current, WellKnown.Group, WellKnown.Version, Ns, WellKnown.Plural, Name);
                }

                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict && attempt < 10)
            {
            }
        }
    }

    public async Task ActAsync(string verb)
    {
        var patch = new { metadata = new { annotations = new Dictionary<string, string> { [WellKnown.ActionAnnotation] = verb } } };
        await Client.CustomObjects.PatchNamespacedCustomObjectAsync<BlueGreenDeployment>(
            new V1Patch(patch, V1Patch.PatchType.MergePatch), WellKnown.Group, WellKnown.Version, Ns, WellKnown.Plural, Name);
    }

    public async Task<BlueGreenDeployment?> GetOrNullAsync()
    {
        try
        {
            return await Client.CustomObjects.GetNamespacedCustomObjectAsync<BlueGreenDeployment>(WellKnown.Group, WellKnown.Version, Ns, WellKnown.Plural, Name);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Waits until status (observed at the object's generation) satisfies the condition; see <see cref="WaitForValueAsync{T}"/>.</summary>
    public Task<BlueGreenDeployment> WaitForAsync(Func<BlueGreenDeploymentStatus, bool> condition, string description, int seconds = 120) =>
        WaitForValueAsync(
            async () =>
            {
                var current = await GetOrNullAsync();
                return current?.Status is { } status && status.ObservedGeneration == current.Metadata.Generation && condition(status) ? current : null;
            },
            description, seconds);

    public Task<BlueGreenDeployment> WaitForPhaseAsync(string phase, int seconds = 120, string? modelVersion = null) =>
        WaitForAsync(s => s.Phase == phase && (modelVersion is null || s.ActiveModelVersion == modelVersion),
            $"phase {phase}{(modelVersion is null ? "" : " serving " + modelVersion)}", seconds);

    public async Task<V1Deployment?> DeploymentAsync(string color)
    {
        try
        {
            return await Client.AppsV1.ReadNamespacedDeploymentAsync($"{Name}-{color}", Ns);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Asks every pod behind the active Service's Endpoints which model version answers, by a real inference.</summary>
    public async Task<IReadOnlyList<string>> ServedModelVersionsAsync()
    {
        var addresses = await Client.ReadyEndpointAddressesAsync(Ns, ServiceName);
        var versions = new List<string>();
        foreach (var address in addresses)
        {
            var request = new JsonObject
            {
                ["inputs"] = new JsonArray(new JsonObject
                {
                    ["name"] = "input-0", ["shape"] = new JsonArray(1, 4), ["datatype"] = "FP32", ["data"] = new JsonArray(5.1, 3.5, 1.4, 0.2),
                }),
            };
            HttpResponseMessage response;
            try
            {
                response = await Http.PostAsJsonAsync($"http://{address}:8080/v2/models/iris/infer", request);
            }
            catch (HttpRequestException e) when (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                // A pod that has stopped listening serves no one; the Endpoints still list it until the endpoints
                // controller catches up with its removal (right after a switch back, the scaled-down colour's pods).
                continue;
            }

            using var _ = response;
            response.EnsureSuccessStatusCode();
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            versions.Add(body["model_version"]!.GetValue<string>());
        }

        if (addresses.Count > 0 && versions.Count == 0)
            throw new InvalidOperationException($"none of the {addresses.Count} pods behind Service {ServiceName} accepted a connection");
        return versions;
    }

    /// <summary>Events are recorded right after the status write that a wait sees: wait for them too.</summary>
    public Task WaitForEventsAsync(params string[] reasons) => UntilAsync(
        async () =>
        {
            var recorded = (await EventsAsync()).Select(e => e.Reason).ToHashSet();
            return reasons.All(recorded.Contains);
        },
        $"events {string.Join(", ", reasons)}", 20);

    /// <summary>The Events about the BlueGreenDeployment (not those about the Service that shares its name).</summary>
    public async Task<IReadOnlyList<Corev1Event>> EventsAsync() =>
        (await Client.CoreV1.ListNamespacedEventAsync(Ns, fieldSelector: $"involvedObject.kind={WellKnown.Kind},involvedObject.name={Name}")).Items.ToList();

    static string Tail(string? log) => log is null ? "" : string.Join('\n', log.Split('\n').TakeLast(40));

    public async ValueTask DisposeAsync()
    {
        if (Monitor is not null && Traffic is not null)
            await StopWatchingAsync();
        if (Operator is not null)
        {
            await Operator.DisposeAsync();
            // A failing assertion is still on its way out while this runs, so NUnit cannot say yet whether the test failed: keep every log.
            var log = Path.Combine(Path.GetTempPath(), "bluegreen-e2e-logs", $"{Ns}.operator.log");
            Directory.CreateDirectory(Path.GetDirectoryName(log)!);
            await File.WriteAllTextAsync(log, Operator.Log);
            await TestContext.Out.WriteLineAsync($"operator log: {log}");
        }

        await Namespace.DisposeAsync();
    }
}
