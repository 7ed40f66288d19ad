using System.Collections.Immutable;
using BlueGreenOperator.Api;
using BlueGreenOperator.EndToEnd.Tests.Harness;
using BlueGreenOperator.Rollout;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>What can break while a test runs; a test may tolerate some of them while it disturbs the world on purpose.</summary>
internal enum ViolationKind
{
    /// <summary>I1: the active Service is gone after it served.</summary>
    ActiveServiceMissing,

    /// <summary>I1: the active Service's selector has no <c>bluegreen.dev/color</c> key.</summary>
    SelectorWithoutColor,

    /// <summary>I1: the active Service's Endpoints object is gone after it served.</summary>
    EndpointsMissing,

    /// <summary>I1: the active Service has no ready address after it served.</summary>
    NoReadyEndpoint,

    /// <summary>A ready address of the active Service belongs to no pod the API server knows.</summary>
    EndpointWithoutPod,

    /// <summary>The Deployment of the colour the Service selects is gone.</summary>
    ServingDeploymentMissing,

    /// <summary>I3: the serving colour was scaled below <c>replicas</c> before a switch.</summary>
    ServingColorShrunk,

    /// <summary>The BlueGreenDeployment itself is gone.</summary>
    ResourceMissing,

    /// <summary>A read of the API server failed: the sample could not judge anything.</summary>
    SamplingFailed,

    /// <summary>I2: a version that must never serve is behind the active Service. Never tolerated.</summary>
    UntestedServing,
}

/// <summary>
/// Samples the active Service, its Endpoints, the pods behind them and the serving colour every 100 ms while a test
/// runs, and records every breach of DESIGN.md's invariants: I1 (once it served, the Service exists, selects a colour
/// and has a ready address), I2 (no pod of a version that must never serve is behind a ready address; the load
/// generator adds what the pods answered) and I3 (the serving colour keeps its size before the switch). A sample that
/// cannot be taken (an API error) is a violation too, not a skipped look. A test that disturbs the world on purpose
/// declares it: <see cref="Tolerate(ViolationKind, TimeSpan)"/> or <see cref="Disturbing"/>; what lasts beyond the
/// declared window is a violation again. Memory is bounded: breaches are kept as episodes, at most 100.
/// </summary>
internal sealed class InvariantMonitor : IAsyncDisposable
{
    const int MaxEpisodes = 100;
    static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    static readonly TimeSpan SampleTimeout = TimeSpan.FromSeconds(10);
    static readonly string[] BeforeSwitch = [Phase.Initializing, Phase.Progressing, Phase.Testing, Phase.Paused, Phase.Promoting];

    readonly IKubernetes _client;
    readonly string _namespace;
    readonly string _name;
    readonly string _service;
    readonly TrafficGenerator? _traffic;
    readonly CancellationTokenSource _stop = new();
    readonly Lock _lock = new();
    readonly List<Tolerance> _tolerances = [];
    readonly List<Episode> _episodes = [];
    readonly Dictionary<ViolationKind, Episode> _open = [];
    // The serving colours' last seen sizes, and those that went down below `replicas` and are not back yet (I3).
    readonly Dictionary<string, int> _servingReplicas = [];
    readonly HashSet<string> _shrunk = [];
    readonly Task _loop;
    ImmutableHashSet<string> _neverServe;
    int _observations;
    int _droppedEpisodes;
    bool _served;

    public InvariantMonitor(IKubernetes client, string ns, string name, string service, TrafficGenerator? traffic, IEnumerable<string> neverServeModelVersions)
    {
        _client = client;
        _namespace = ns;
        _name = name;
        _service = service;
        _traffic = traffic;
        _neverServe = [.. neverServeModelVersions];
        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    /// <summary>Samples that were taken completely.</summary>
    public int Observations => Volatile.Read(ref _observations);

    /// <summary>Every breach that was not tolerated, and the untested answers the load generator saw.</summary>
    public IReadOnlyList<string> Violations
    {
        get
        {
            List<string> violations;
            lock (_lock)
                violations = [.. _episodes.Where(e => !e.Tolerated).Select(e => e.ToString())];
            if (_traffic?.Report() is { Untested: > 0 } report)
                violations.Add($"I2: {report.Untested} requests answered by versions that must never serve: {report.DescribeUntested()}");
            return violations;
        }
    }

    /// <summary>Breaches seen while the test had declared them.</summary>
    public IReadOnlyList<string> Tolerated
    {
        get
        {
            lock (_lock)
                return [.. _episodes.Where(e => e.Tolerated).Select(e => e.ToString())];
        }
    }

    /// <summary>Throws the first violation seen so far; waits call it to fail the moment something breaks.</summary>
    public void ThrowIfViolated()
    {
        if (Violations is [var first, ..])
            throw new InvariantViolatedException(first);
    }

    /// <summary>Pods of these model versions must never be behind the active Service from now on.</summary>
    public void NeverServe(params string[] versions) => ImmutableInterlocked.Update(ref _neverServe, set => set.Union(versions));

    /// <summary>Pods of these model versions may be behind the active Service from now on (a paused release the test is about to promote).</summary>
    public void MayServe(params string[] versions) => ImmutableInterlocked.Update(ref _neverServe, set => set.Except(versions));

    /// <summary>Tolerates <paramref name="kind"/> from now for <paramref name="duration"/>.</summary>
    public void Tolerate(ViolationKind kind, TimeSpan duration) => Tolerate(kind, DateTime.UtcNow + duration);

    /// <summary>Tolerates <paramref name="kind"/> from now until <paramref name="until"/> (UTC).</summary>
    public void Tolerate(ViolationKind kind, DateTime until)
    {
        var tolerance = new Tolerance([kind], DateTime.UtcNow);
        tolerance.Close(until);
        Add(tolerance);
    }

    /// <summary>Tolerates <paramref name="kinds"/> from now until the returned scope is disposed: open it before deleting or editing something on purpose, close it once the world is whole again.</summary>
    public IDisposable Disturbing(params ViolationKind[] kinds)
    {
        var tolerance = new Tolerance([.. kinds], DateTime.UtcNow);
        Add(tolerance);
        return tolerance;
    }

    /// <summary>Observations, tolerated breaches and violations in a few lines, for the test output.</summary>
    public string Summary()
    {
        var violations = Violations;
        var tolerated = Tolerated;
        return $"monitor: {Observations} observations, {violations.Count} violations, {tolerated.Count} tolerated breaches"
            + (tolerated.Count == 0 ? "" : "\n  tolerated: " + string.Join("\n  tolerated: ", tolerated))
            + (violations.Count == 0 ? "" : "\n  violation: " + string.Join("\n  violation: ", violations))
            + (Volatile.Read(ref _droppedEpisodes) is > 0 and var dropped ? $"\n  ({dropped} more breaches not kept)" : "");
    }

    void Add(Tolerance tolerance)
    {
        if (tolerance.Kinds.Contains(ViolationKind.UntestedServing))
            throw new ArgumentException("An untested version behind the Service is never tolerated: it is the promise itself.");
        lock (_lock)
            _tolerances.Add(tolerance);
    }

    async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var startedAt = DateTime.UtcNow;
            using var sample = CancellationTokenSource.CreateLinkedTokenSource(ct);
            sample.CancelAfter(SampleTimeout);
            try
            {
                var findings = await ObserveAsync(sample.Token);
                Record(startedAt, findings, complete: true);
                Interlocked.Increment(ref _observations);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Anything but the end of the test: an API error, a timeout, an object that no longer decodes.
                var what = e is OperationCanceledException ? $"no answer within {SampleTimeout.TotalSeconds:0} s" : Describe(e);
                Record(startedAt, [new Finding(ViolationKind.SamplingFailed, $"a read of the API server failed: {what}")], complete: false);
            }

            await Task.Delay(Interval, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    async Task<List<Finding>> ObserveAsync(CancellationToken ct)
    {
        var findings = new List<Finding>();
        var resource = await OrNullAsync(() => _client.CustomObjects.GetNamespacedCustomObjectAsync<BlueGreenDeployment>(
            WellKnown.Group, WellKnown.Version, _namespace, WellKnown.Plural, _name, ct));
        if (resource is null && _served)
            findings.Add(new Finding(ViolationKind.ResourceMissing, $"the BlueGreenDeployment {_name} is gone"));

        var service = await OrNullAsync(() => _client.CoreV1.ReadNamespacedServiceAsync(_service, _namespace, cancellationToken: ct));
        if (service is null)
        {
            if (_served)
                findings.Add(new Finding(ViolationKind.ActiveServiceMissing, $"I1: the active Service {_service} is gone"));
            return findings;
        }

        var selector = service.Spec?.Selector ?? new Dictionary<string, string>();
        var color = selector.TryGetValue(WellKnown.ColorLabel, out var selected) ? selected : null;
        if (color is null)
            findings.Add(new Finding(ViolationKind.SelectorWithoutColor, $"I1: the active Service selects {Format(selector)}, no colour"));

        var (endpoints, addresses, pods) = await ReadEndpointsAndPodsAsync(ct);
        if (endpoints is null)
        {
            if (_served)
                findings.Add(new Finding(ViolationKind.EndpointsMissing, $"I1: the Endpoints of {_service} are gone (selector {Format(selector)})"));
        }
        else if (addresses.Count == 0)
        {
            if (_served)
                findings.Add(new Finding(ViolationKind.NoReadyEndpoint, $"I1: the active Service selects {Format(selector)} and has no ready address"));
        }
        else
        {
            _served = true;
        }

        var neverServe = Volatile.Read(ref _neverServe);
        foreach (var address in addresses)
        {
            if (!pods.TryGetValue(address, out var pod))
            {
                findings.Add(new Finding(ViolationKind.EndpointWithoutPod, $"the ready address {address} of {_service} belongs to no pod"));
                continue;
            }

            IReadOnlyDictionary<string, string> labels = pod.Metadata.Labels?.AsReadOnly() ?? new Dictionary<string, string>().AsReadOnly();
            if (labels.TryGetValue(WellKnown.ModelVersionLabel, out var version) && neverServe.Contains(version))
            {
                var podColor = labels.GetValueOrDefault(WellKnown.ColorLabel, "(no colour)");
                findings.Add(new Finding(ViolationKind.UntestedServing,
                    $"I2: pod {pod.Metadata.Name} ({podColor}, model version {version}, which must never take traffic) is behind the active Service at {address}"));
            }
        }

        if (color is not null && _served)
        {
            var deployment = await OrNullAsync(() => _client.AppsV1.ReadNamespacedDeploymentAsync($"{_name}-{color}", _namespace, cancellationToken: ct));
            if (deployment is null)
            {
                findings.Add(new Finding(ViolationKind.ServingDeploymentMissing, $"the Deployment {_name}-{color} of the serving colour is gone"));
            }
            else
            {
                // Lagging behind a raised `replicas` (an autoscaler scaling up mid-release, before the operator resized
                // the colour) is no shrink: a shrink is a size going down below `replicas`, and lasts until it is back.
                var size = deployment.Spec.Replicas ?? 0;
                var before = _servingReplicas.GetValueOrDefault(color, int.MaxValue);
                _servingReplicas[color] = size;
                if (resource is null || size >= resource.Spec.Replicas)
                    _shrunk.Remove(color);
                else if (size < before)
                    _shrunk.Add(color);
                if (resource?.Status is { } status && BeforeSwitch.Contains(status.Phase) && status.ActiveColor == color && _shrunk.Contains(color))
                {
                    findings.Add(new Finding(ViolationKind.ServingColorShrunk,
                        $"I3: the serving colour {color} was scaled to {deployment.Spec.Replicas} < {resource.Spec.Replicas} in phase {status.Phase}"));
                }
            }
        }

        return findings;
    }

    // A pod deleted a moment ago can still be a ready address until the endpoints controller catches up: read both again before calling it a breach.
    async Task<(V1Endpoints? Endpoints, IReadOnlyList<string> Addresses, IReadOnlyDictionary<string, V1Pod> Pods)> ReadEndpointsAndPodsAsync(CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var endpoints = await OrNullAsync(() => _client.CoreV1.ReadNamespacedEndpointsAsync(_service, _namespace, cancellationToken: ct));
            var addresses = (endpoints?.Subsets ?? []).SelectMany(s => s.Addresses ?? []).Select(a => a.Ip).Distinct().Order(StringComparer.Ordinal).ToList();
            if (addresses.Count == 0)
                return (endpoints, addresses, new Dictionary<string, V1Pod>());

            var pods = (await _client.CoreV1.ListNamespacedPodAsync(_namespace, cancellationToken: ct)).Items
                .Where(p => !string.IsNullOrEmpty(p.Status?.PodIP) && p.Status.Phase is not ("Succeeded" or "Failed"))
                .GroupBy(p => p.Status.PodIP)
                .ToDictionary(g => g.Key, g => g.OrderBy(p => p.Metadata.DeletionTimestamp is null ? 0 : 1).First());
            if (attempt == 3 || addresses.All(pods.ContainsKey))
                return (endpoints, addresses, pods);
        }
    }

    void Record(DateTime at, IReadOnlyList<Finding> findings, bool complete)
    {
        lock (_lock)
        {
            foreach (var finding in findings.GroupBy(f => f.Kind).Select(g => g.First()))
            {
                var tolerated = _tolerances.Any(t => t.Covers(finding.Kind, at));
                if (_open.TryGetValue(finding.Kind, out var open) && open.Tolerated == tolerated)
                {
                    open.Extend(at, finding.Detail);
                    continue;
                }

                var episode = new Episode(finding.Kind, tolerated, at, finding.Detail);
                _open[finding.Kind] = episode;
                if (_episodes.Count < MaxEpisodes)
                    _episodes.Add(episode);
                else
                    Interlocked.Increment(ref _droppedEpisodes);
            }

            // A kind that was looked at and not found is over; a failed sample looked at nothing.
            var seen = findings.Select(f => f.Kind).ToHashSet();
            foreach (var kind in _open.Keys.Where(k => !seen.Contains(k) && (complete || k == ViolationKind.SamplingFailed)).ToList())
                _open.Remove(kind);
            if (complete)
                _open.Remove(ViolationKind.SamplingFailed);
        }
    }

    static async Task<T?> OrNullAsync<T>(Func<Task<T>> read)
        where T : class
    {
        try
        {
            return await read();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    static string Describe(Exception e) => e is HttpOperationException http
        ? $"{(int)http.Response.StatusCode} {http.Response.ReasonPhrase}: {Shorten(http.Response.Content)}"
        : $"{e.GetType().Name}: {e.Message}";

    static string Shorten(string? text) => text is null ? "" : text.Length > 300 ? text[..300] + "…" : text;

    static string Format(IDictionary<string, string> selector) =>
        selector.Count == 0 ? "{}" : "{" + string.Join(", ", selector.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")) + "}";

    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
            return;
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    sealed record Finding(ViolationKind Kind, string Detail);

    /// <summary>A declared disturbance: open from <see cref="From"/> until closed (a scope's end, or a fixed time).</summary>
    sealed class Tolerance(ViolationKind[] kinds, DateTime from) : IDisposable
    {
        long _untilTicks = long.MaxValue;

        public IReadOnlyCollection<ViolationKind> Kinds => kinds;

        /// <summary>The first close wins: a scope disposed twice keeps its first end.</summary>
        public void Close(DateTime until) => Interlocked.CompareExchange(ref _untilTicks, until.Ticks, long.MaxValue);

        public bool Covers(ViolationKind kind, DateTime at) =>
            kinds.Contains(kind) && at >= from && at.Ticks <= Interlocked.Read(ref _untilTicks);

        public void Dispose() => Close(DateTime.UtcNow);
    }

    /// <summary>One breach seen in consecutive samples.</summary>
    sealed class Episode(ViolationKind kind, bool tolerated, DateTime first, string detail)
    {
        readonly DateTime _first = first;
        readonly string _detail = detail;
        DateTime _last = first;
        string _lastDetail = detail;
        int _samples = 1;

        public ViolationKind Kind => kind;

        public bool Tolerated => tolerated;

        public void Extend(DateTime at, string latest)
        {
            _last = at;
            _lastDetail = latest;
            _samples++;
        }

        public override string ToString() =>
            $"{_first:HH:mm:ss.fff}-{_last:HH:mm:ss.fff} {kind} ({_samples} samples): {_detail}" + (_lastDetail == _detail ? "" : $"; last: {_lastDetail}");
    }
}

internal sealed class InvariantViolatedException(string message) : Exception(message);
