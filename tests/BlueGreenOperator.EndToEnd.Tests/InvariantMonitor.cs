using System.Collections.Concurrent;
using BlueGreenOperator.Api;
using BlueGreenOperator.LocalCluster.Testing;
using BlueGreenOperator.Rollout;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>
/// Watches the active Service, its Endpoints and the colours while a test runs, and records the first moment an
/// invariant of DESIGN.md breaks: I1 (the Service selects a colour with an available pod), I2 (never a revision
/// that was not proven: here, never a model version the test knows to be broken) and I3 (the serving colour keeps
/// its size before the switch).
/// </summary>
internal sealed class InvariantMonitor : IAsyncDisposable
{
    readonly IKubernetes _client;
    readonly string _namespace;
    readonly string _name;
    readonly string _service;
    readonly HashSet<string> _neverServe;
    readonly CancellationTokenSource _stop = new();
    readonly ConcurrentQueue<string> _violations = new();
    readonly Task _loop;
    bool _served;

    public InvariantMonitor(IKubernetes client, string ns, string name, string service, params string[] neverServeModelVersions)
    {
        _client = client;
        _namespace = ns;
        _name = name;
        _service = service;
        _neverServe = [.. neverServeModelVersions];
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    public int Observations { get; private set; }

    public IReadOnlyCollection<string> Violations => _violations;

    /// <summary>Throws the first violation seen so far; waits call it to fail the moment something breaks.</summary>
    public void ThrowIfViolated()
    {
        if (_violations.TryPeek(out var first))
            throw new InvariantViolatedException(first);
    }

    async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await ObserveAsync(ct);
                Observations++;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (HttpOperationException)
            {
                // A read raced with a delete at the end of a test; the next look decides.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    async Task ObserveAsync(CancellationToken ct)
    {
        V1Service service;
        try
        {
            service = await _client.CoreV1.ReadNamespacedServiceAsync(_service, _namespace, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            if (_served)
                Violate("I1: the active Service disappeared");
            return;
        }

        var color = service.Spec.Selector?.GetValueOrDefault(WellKnown.ColorLabel);
        var deployment = await _client.AppsV1.ReadNamespacedDeploymentAsync($"{_name}-{color}", _namespace, cancellationToken: ct);
        var available = deployment.Status?.AvailableReplicas ?? 0;
        var endpoints = await _client.ReadyEndpointAddressesAsync(_namespace, _service, ct);
        var modelVersion = deployment.Metadata.Labels?.GetValueOrDefault(WellKnown.ModelVersionLabel);
        if (_served && (available < 1 || endpoints.Count == 0))
            Violate($"I1: the Service selects {color} with {available} available pods and {endpoints.Count} endpoints");
        if (available > 0 && endpoints.Count > 0)
            _served = true;
        if (modelVersion is not null && _neverServe.Contains(modelVersion))
            Violate($"I2: the Service selects {color} serving model version {modelVersion}, which must never take traffic");

        var resource = await _client.CustomObjects.GetNamespacedCustomObjectAsync<BlueGreenDeployment>(
            WellKnown.Group, WellKnown.Version, _namespace, WellKnown.Plural, _name, ct);
        var phase = resource.Status?.Phase;
        if (_served && Phase.IsBeforeSwitch(phase) && resource.Status?.ActiveColor == color && deployment.Spec.Replicas < resource.Spec.Replicas)
            Violate($"I3: the serving colour {color} was scaled to {deployment.Spec.Replicas} < {resource.Spec.Replicas} in phase {phase}");
    }

    void Violate(string what) => _violations.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {what}");

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
            return;
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}

internal sealed class InvariantViolatedException(string message) : Exception(message);
