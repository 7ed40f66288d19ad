using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.EndToEnd.Tests.Harness;

/// <summary>How hard and how patiently the load generator sends.</summary>
/// <param name="Concurrency">Loops, each with at most one request in flight.</param>
/// <param name="RequestTimeout">A request without an answer by then is a failed request.</param>
/// <param name="Pause">Each loop waits this long between two requests, so a long test stays cheap.</param>
/// <param name="MaxRequests">The loops stop after this many requests in all (unbounded when null).</param>
/// <param name="MaxDuration">The loops stop this long after the start at the latest (unbounded when null).</param>
internal sealed record TrafficOptions(
    int Concurrency = 4,
    TimeSpan? RequestTimeout = null,
    TimeSpan? Pause = null,
    string Model = "iris",
    string PortName = "http",
    long? MaxRequests = null,
    TimeSpan? MaxDuration = null)
{
    public TimeSpan Timeout => RequestTimeout ?? TimeSpan.FromSeconds(2);

    public TimeSpan Wait => Pause ?? TimeSpan.FromMilliseconds(50);
}

/// <summary>
/// What a client of the active Service sees. The local cluster has no kube-proxy, so this does its part: it follows the
/// Service's Endpoints through a watch (ready addresses only, re-listed on every error) and sends real Open Inference
/// Protocol v2 requests (the setosa golden input) to those addresses, round-robin, from a fixed number of loops.
/// It counts requests, failures (no ready endpoint, connection error, timeout, non-200, unreadable answer), answers
/// per reported model version, and answers from versions the test declared must never serve. Counting starts when
/// the Service first has a ready address. Memory is bounded: counters, and capped lists of failure ranges and samples.
/// </summary>
internal sealed class TrafficGenerator : IAsyncDisposable
{
    const int MaxVersions = 32;
    const int MaxFailureRanges = 100;
    const int MaxUntestedSamples = 10;
    const string OtherVersions = "(other)";
    // Failures closer than this to the previous one extend its range.
    static readonly TimeSpan FailureGap = TimeSpan.FromSeconds(1);

    readonly TrafficOptions _options;
    readonly NamedObjectWatch<V1Endpoints> _endpoints;
    readonly HttpClient _http;
    readonly CancellationTokenSource _stop = new();
    readonly Task[] _loops;
    readonly byte[] _body = Encoding.UTF8.GetBytes(
        """{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}""");
    readonly ConcurrentDictionary<string, long> _answers = new();
    readonly Lock _lock = new();
    readonly List<FailureRange> _failures = [];
    readonly List<UntestedAnswer> _untestedSamples = [];
    readonly Stopwatch _running = new();
    ImmutableHashSet<string> _untestedVersions;
    IReadOnlyList<EndpointAddress> _targets = [];
    DateTime? _firstServedAt;
    int _serving;
    long _next;
    long _requests;
    long _failed;
    long _untested;
    long _wrong;
    int _endpointUpdates;
    TrafficReport? _final;

    TrafficGenerator(IKubernetes client, string ns, string service, IEnumerable<string> untestedVersions, TrafficOptions options)
    {
        _options = options;
        _untestedVersions = [.. untestedVersions];
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = options.Timeout,
            MaxConnectionsPerServer = options.Concurrency,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(5),
            PooledConnectionLifetime = TimeSpan.FromSeconds(30),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
            MaxResponseContentBufferSize = 64 * 1024,
        };
        _endpoints = NamedObjectWatch.Endpoints(client, ns, service, OnEndpoints);
        _running.Start();
        if (options.MaxDuration is { } lifetime)
            _stop.CancelAfter(lifetime);
        _loops = [.. Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(() => LoopAsync(_stop.Token)))];
    }

    /// <summary>Starts sending to <paramref name="service"/>'s ready Endpoints; answers from <paramref name="untestedVersions"/> count as untested.</summary>
    public static TrafficGenerator Start(IKubernetes client, string ns, string service, IEnumerable<string> untestedVersions, TrafficOptions? options = null) =>
        new(client, ns, service, untestedVersions, options ?? new TrafficOptions());

    /// <summary>Versions that must never answer through the Service from now on (a hand edit the test is about to make).</summary>
    public void DeclareUntested(params string[] versions) => ImmutableInterlocked.Update(ref _untestedVersions, set => set.Union(versions));

    /// <summary>Versions that may answer from now on (a paused release the test is about to promote).</summary>
    public void DeclareTested(params string[] versions) => ImmutableInterlocked.Update(ref _untestedVersions, set => set.Except(versions));

    public long Untested => Interlocked.Read(ref _untested);

    /// <summary>Answers from one reported model version so far.</summary>
    public long AnswersFrom(string version) => _answers.GetValueOrDefault(version);

    /// <summary>The ready addresses the generator sends to right now, as kube-proxy would route.</summary>
    public IReadOnlyList<EndpointAddress> Targets => Volatile.Read(ref _targets);

    public TrafficReport Report()
    {
        if (_final is not null)
            return _final;
        lock (_lock)
        {
            return new TrafficReport(
                _running.Elapsed,
                _firstServedAt,
                Interlocked.Read(ref _requests),
                Interlocked.Read(ref _failed),
                Interlocked.Read(ref _untested),
                Interlocked.Read(ref _wrong),
                _answers.OrderBy(p => p.Key, StringComparer.Ordinal).ToDictionary(),
                [.. _failures],
                [.. _untestedSamples],
                _untestedVersions.Order(StringComparer.Ordinal).ToList(),
                Volatile.Read(ref _endpointUpdates),
                _endpoints.Restarts,
                _endpoints.LastError);
        }
    }

    /// <summary>Fails with the first untested answers when any version the test declared untested answered.</summary>
    public void AssertNoUntestedAnswers()
    {
        var report = Report();
        if (report.Untested > 0)
            throw new InvariantViolatedException($"I2: {report.Untested} requests were answered by versions that must never serve: {report.DescribeUntested()}");
    }

    /// <summary>Stops the loops and the watch; the report is final from then on.</summary>
    public async Task<TrafficReport> StopAsync()
    {
        if (_final is not null)
            return _final;
        await _stop.CancelAsync();
        await Task.WhenAll(_loops).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _endpoints.DisposeAsync();
        _running.Stop();
        _final = Report();
        _http.Dispose();
        return _final;
    }

    void OnEndpoints(V1Endpoints? endpoints)
    {
        var targets = new List<EndpointAddress>();
        foreach (var subset in endpoints?.Subsets ?? [])
        {
            var ports = subset.Ports ?? [];
            var port = ports.FirstOrDefault(p => p.Name == _options.PortName) ?? (ports.Count == 1 ? ports[0] : null);
            if (port is null)
                continue;
            targets.AddRange((subset.Addresses ?? []).Select(a => new EndpointAddress(a.Ip, port.Port)));
        }

        Interlocked.Increment(ref _endpointUpdates);
        Volatile.Write(ref _targets, targets.OrderBy(t => t.Ip, StringComparer.Ordinal).ToList());
        if (targets.Count > 0 && Interlocked.Exchange(ref _serving, 1) == 0)
        {
            lock (_lock)
                _firstServedAt = DateTime.UtcNow;
        }
    }

    async Task LoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested && (_options.MaxRequests is not { } most || Interlocked.Read(ref _requests) < most))
        {
            var targets = Targets;
            if (Volatile.Read(ref _serving) == 1)
            {
                // What counts as untested is what the test had declared when the request left, not when its answer came.
                var untested = Volatile.Read(ref _untestedVersions);
                var outcome = targets.Count == 0
                    ? Outcome.Failure("no ready endpoint")
                    : await SendAsync(targets[(int)(Interlocked.Increment(ref _next) % targets.Count)], ct);
                if (ct.IsCancellationRequested)
                    return;
                Record(outcome, untested);
            }

            await Task.Delay(_options.Wait, ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    async Task<Outcome> SendAsync(EndpointAddress target, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.Timeout);
        try
        {
            using var content = new ByteArrayContent(_body);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await _http.PostAsync($"http://{target.Ip}:{target.Port}/v2/models/{_options.Model}/infer", content, timeout.Token);
            var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
            if (response.StatusCode != HttpStatusCode.OK)
                return Outcome.Failure($"HTTP {(int)response.StatusCode} from {target.Ip}");
            using var answer = JsonDocument.Parse(body);
            var version = answer.RootElement.GetProperty("model_version").GetString() ?? "";
            var setosa = answer.RootElement.GetProperty("outputs").EnumerateArray()
                .Any(o => o.GetProperty("name").GetString() == "output-0" && o.GetProperty("data")[0].GetInt64() == 0);
            return new Outcome(target.Ip, version, setosa, null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return Outcome.Failure($"no answer from {target.Ip} within {_options.Timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            var reason = e.InnerException is SocketException socket ? socket.SocketErrorCode.ToString() : e.HttpRequestError.ToString();
            return Outcome.Failure($"{reason} from {target.Ip}");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
        {
            return Outcome.Failure($"unreadable answer from {target.Ip}: {e.Message}");
        }
    }

    void Record(Outcome outcome, ImmutableHashSet<string> untested)
    {
        var now = DateTime.UtcNow;
        Interlocked.Increment(ref _requests);
        if (outcome.FailureReason is { } reason)
        {
            Interlocked.Increment(ref _failed);
            lock (_lock)
            {
                if (_failures.Count > 0 && (now - _failures[^1].Last <= FailureGap || _failures.Count == MaxFailureRanges))
                    _failures[^1] = _failures[^1] with { Last = now, Count = _failures[^1].Count + 1 };
                else
                    _failures.Add(new FailureRange(now, now, 1, reason));
            }

            return;
        }

        var version = outcome.Version!;
        var key = _answers.ContainsKey(version) || _answers.Count < MaxVersions ? version : OtherVersions;
        _answers.AddOrUpdate(key, 1, (_, count) => count + 1);
        if (!outcome.Setosa)
            Interlocked.Increment(ref _wrong);
        if (untested.Contains(version))
        {
            Interlocked.Increment(ref _untested);
            lock (_lock)
            {
                if (_untestedSamples.Count < MaxUntestedSamples)
                    _untestedSamples.Add(new UntestedAnswer(now, outcome.Address!, version));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    sealed record Outcome(string? Address, string? Version, bool Setosa, string? FailureReason)
    {
        public static Outcome Failure(string reason) => new(null, null, false, reason);
    }
}

/// <summary>A ready address of the Service's Endpoints with the port the Service's named port maps to there.</summary>
internal readonly record struct EndpointAddress(string Ip, int Port);

/// <summary>Consecutive failed requests, none more than a second after the one before.</summary>
internal sealed record FailureRange(DateTime First, DateTime Last, long Count, string FirstReason)
{
    public override string ToString() => $"{First:HH:mm:ss.fff}-{Last:HH:mm:ss.fff} ({Count}, first: {FirstReason})";
}

/// <summary>An answer from a version that must never serve: when, from which pod address, which version.</summary>
internal sealed record UntestedAnswer(DateTime At, string Address, string Version)
{
    public override string ToString() => $"{At:HH:mm:ss.fff} {Version} from {Address}";
}

/// <summary>What the load generator saw; <see cref="ToString"/> is what each test prints.</summary>
internal sealed record TrafficReport(
    TimeSpan Duration,
    DateTime? FirstServedAt,
    long Requests,
    long Failed,
    long Untested,
    long WrongAnswers,
    IReadOnlyDictionary<string, long> AnswersByVersion,
    IReadOnlyList<FailureRange> Failures,
    IReadOnlyList<UntestedAnswer> UntestedSamples,
    IReadOnlyList<string> UntestedVersions,
    int EndpointUpdates,
    int WatchRestarts,
    string? LastWatchError)
{
    public double FailureRate => Requests == 0 ? 0 : (double)Failed / Requests;

    public string DescribeUntested() => string.Join("; ", UntestedSamples);

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append($"traffic: {Requests} requests, {Failed} failed ({FailureRate:P2}), {Untested} untested");
        text.Append($" (must never serve: {(UntestedVersions.Count == 0 ? "none declared" : string.Join(", ", UntestedVersions))})");
        text.Append($"; {WrongAnswers} wrong answers; over {Duration.TotalSeconds:0.0} s");
        text.Append(FirstServedAt is { } served ? $", counting from {served:HH:mm:ss.fff}" : ", the Service never had a ready endpoint");
        text.Append($"\n  answers by version: {(AnswersByVersion.Count == 0 ? "none" : string.Join(", ", AnswersByVersion.Select(p => $"{p.Key} {p.Value}")))}");
        text.Append($"\n  endpoint updates seen: {EndpointUpdates}; watch restarts: {WatchRestarts}{(LastWatchError is null ? "" : $" (last: {LastWatchError})")}");
        if (Failures.Count > 0)
            text.Append($"\n  failures: {string.Join("; ", Failures.Take(20))}{(Failures.Count > 20 ? $"; and {Failures.Count - 20} more ranges" : "")}");
        if (UntestedSamples.Count > 0)
            text.Append($"\n  untested answers: {DescribeUntested()}");
        return text.ToString();
    }
}
