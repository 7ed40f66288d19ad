using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Checks;

/// <summary>
/// Runs checks against every ready pod of one colour: pods in parallel, the checks of a pod in order,
/// each check <c>repeat</c> times, every attempt must pass. Prometheus and job checks run once, not per pod.
/// </summary>
public sealed class SmokeTestRunner(
    HttpClient http, PrometheusClient prometheus, ILogger<SmokeTestRunner> logger, CheckLimits? limits = null, ICheckSecrets? secrets = null, ICheckJobs? jobs = null) : ICheckRunner
{
    public const int MaxParallelPods = 8;

    const int DefaultTimeoutSeconds = 5;

    readonly CheckLimits _limits = limits ?? new CheckLimits();

    readonly JobCheck? _jobs = jobs is null ? null : new JobCheck(jobs, logger);

    /// <summary>
    /// The client checks share: no proxy (pod IPs are only reachable directly), no redirects, no cookies, no
    /// decompression, small response headers, pooled connections, bounded connect; a response not read to its end
    /// closes its connection rather than being drained.
    /// </summary>
    public static HttpClient CreateHttpClient(TimeSpan? connectTimeout = null) =>
        new(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            MaxResponseHeadersLength = 16,
            MaxResponseDrainSize = 0,
            ConnectTimeout = connectTimeout ?? TimeSpan.FromSeconds(3),
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        })
        {
            // Each attempt carries its own deadline from the check's timeoutSeconds.
            Timeout = Timeout.InfiniteTimeSpan,
            // A connection per request: pod IPs are handed out again, and a pooled connection to an address can meet
            // another pod, or a server that closed it after its last answer, and fail a release that did nothing wrong.
            DefaultRequestHeaders = { ConnectionClose = true },
        };

    public async Task<CheckReport> RunAsync(CheckRun run, CancellationToken ct)
    {
        var (kind, color, revision, pods, checks) = (run.Kind, run.Color, run.Revision, run.Pods, run.Checks);
        if (pods.Count == 0)
        {
            logger.LogWarning("No ready {Color} pod at revision {Revision} to run {Kind} checks against", color.Label(), revision, kind.Label());
            return new CheckReport(color, revision, [], [], null, DateTime.UtcNow);
        }

        // Secrets are read for this run only, from the object's own namespace; the values never leave the run.
        var gates = run.Gates;
        var probe = new ProbeContext(run.Namespace, http, _limits.MaxBodyBytes,
            await RunCredentials.ReadAsync(secrets, run.Namespace, [.. checks, .. gates.Warmup?.Requests ?? []], ct));
        var podChecks = checks.Where(c => c.Prometheus is null && c.Job is null).ToList();
        var perPod = new IReadOnlyList<PodCheckResult>[pods.Count];
        var warmups = new PodWarmup?[pods.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = MaxParallelPods, CancellationToken = ct };
        await Parallel.ForEachAsync(Enumerable.Range(0, pods.Count), options, async (index, token) =>
        {
            var results = new List<PodCheckResult>(podChecks.Count + 1);
            perPod[index] = results;

            // M1, M2: a pod that serves another model or version is neither warmed up nor tested.
            if (gates.Identity is { } identity)
            {
                var verdict = await VerifyIdentityAsync(probe, kind, color, identity, pods[index], token);
                results.Add(verdict);
                if (!verdict.Passed)
                    return;
            }

            // W1, W3: warm-up before the checks, so that they measure a warm pod.
            if (gates.Warmup is { } warmup)
                warmups[index] = await WarmUpAsync(probe, warmup, pods[index], token);
            foreach (var check in podChecks)
                results.Add(await RunCheckAsync(probe, kind, color, check, pods[index], token));
        });

        var all = perPod.SelectMany(results => results).ToList();
        foreach (var check in checks.Where(c => c.Prometheus is not null))
            all.Add(await RunCheckAsync(probe, kind, color, check, null, ct));
        // One at a time: a run's Jobs are all kept by the history (J8) until each was read.
        foreach (var check in checks.Where(c => c.Job is not null))
        {
            all.Add(all.All(r => r.Passed)
                ? await RunJobAsync(run, check, ct)
                : new PodCheckResult(check.Name, null, false, 0, "not run: an earlier check failed"));
        }

        var hashes = pods.Select(p => p.PodTemplateHash).Distinct().ToList();
        var report = new CheckReport(color, revision, all, [.. pods.Select(p => p.Pod)], hashes is [{ } hash] ? hash : null, DateTime.UtcNow)
        {
            Warmups = [.. warmups.OfType<PodWarmup>()],
        };
        if (report.Warmups.Count > 0)
            logger.LogInformation("Warm-up of {Pods} {Color} pods at revision {Revision}: {Requests} requests, first round {First} ms, last round {Last} ms (slowest pod)",
                report.Warmups.Count, color.Label(), revision, report.Warmups.Sum(w => w.Requests), report.Warmups.Max(w => w.FirstLatencyMs), report.Warmups.Max(w => w.LastLatencyMs));
        if (kind == CheckKind.Warmup)
            return report;
        if (report.Passed)
            logger.LogInformation("{Kind} checks on {Color} revision {Revision}: {Summary}", kind.Label(), color.Label(), revision, report.Summary);
        else
            logger.LogWarning("{Kind} checks on {Color} revision {Revision}: {Summary}", kind.Label(), color.Label(), revision, report.Summary);
        return report;
    }

    async Task<PodCheckResult> RunCheckAsync(ProbeContext probe, CheckKind kind, Color color, CheckSpec check, CheckTarget? pod, CancellationToken ct)
    {
        using var activity = CheckTelemetry.Source.StartActivity($"check {check.Name}");
        activity?.SetTag("bluegreen.check.name", check.Name);
        activity?.SetTag("bluegreen.check.kind", kind.Label());
        activity?.SetTag("bluegreen.check.probe", CheckTelemetry.ProbeOf(check));
        activity?.SetTag("bluegreen.color", color.Label());
        activity?.SetTag("k8s.pod.name", pod?.Pod);

        var total = Stopwatch.StartNew();
        var attempts = check.Prometheus is null ? Math.Max(1, check.Repeat) : 1;
        long worstMs = 0;
        string? failure = null;
        for (var attempt = 1; attempt <= attempts && failure is null; attempt++)
        {
            var (reason, elapsedMs) = await AttemptAsync(probe, check, pod, ct);
            worstMs = Math.Max(worstMs, elapsedMs);
            if (reason is null && check.MaxLatencyMs is { } max && check.Prometheus is null && elapsedMs > max)
                reason = $"latency {elapsedMs} ms over maxLatencyMs {max}";
            if (reason is not null)
                failure = attempts > 1 ? $"attempt {attempt} of {attempts}: {reason}" : reason;
        }
        total.Stop();

        // A pod may echo a credential back: nothing of it reaches status, Events, logs or traces.
        if (failure is not null)
            failure = probe.Redactor.Apply(failure);
        var passed = failure is null;
        activity?.SetTag("bluegreen.check.passed", passed);
        if (!passed)
            activity?.SetStatus(ActivityStatusCode.Error, failure);
        CheckTelemetry.RecordDuration(check, kind, passed, total.Elapsed);
        if (!passed)
            logger.LogInformation("Check {Check} failed on {Pod}: {Reason}", check.Name, pod?.Pod ?? "(prometheus)", failure);

        return new PodCheckResult(check.Name, pod?.Pod, passed, worstMs,
            failure ?? (attempts > 1 ? $"{attempts} of {attempts} attempts passed, worst {worstMs} ms" : $"passed in {worstMs} ms"));
    }

    async Task<PodCheckResult> RunJobAsync(CheckRun run, CheckSpec check, CancellationToken ct)
    {
        if (_jobs is null)
            return new PodCheckResult(check.Name, null, false, 0, "job checks are not available: the operator was started without access to Jobs");
        var result = await _jobs.RunAsync(run, check, ct);
        if (!result.Passed)
            logger.LogInformation("Check {Check} failed: {Reason}", check.Name, result.Message);
        return result;
    }

    /// <summary>
    /// Asks the pod which model and version it serves (M1 before a release's tests, M2 in analysis); the answer is one
    /// result among the run's checks, so a wrong model fails the run as a failed check does.
    /// </summary>
    async Task<PodCheckResult> VerifyIdentityAsync(ProbeContext probe, CheckKind kind, Color color, ModelIdentity identity, CheckTarget pod, CancellationToken ct)
    {
        var (reason, elapsedMs) = await TimedAsync(DefaultTimeoutSeconds, ct, async (address, token) =>
        {
            address.Value = Target(pod, identity.Port, ModelIdentityProbe.PathOf(identity));
            return await ModelIdentityProbe.AttemptAsync(probe, identity, address.Value!, token);
        });
        if (reason is null)
            return new PodCheckResult(PodGates.IdentityCheck, pod.Pod, true, elapsedMs, $"serves {identity.Model} version {identity.Version}");
        reason = probe.Redactor.Apply(reason);
        logger.LogWarning("Pod {Pod} of {Color} refused before its {Kind} checks: it {Reason}", pod.Pod, color.Label(), kind.Label(), reason);
        return new PodCheckResult(PodGates.IdentityCheck, pod.Pod, false, elapsedMs, reason);
    }

    /// <summary>
    /// Sends the warm-up requests in rounds until the stop rule holds (<see cref="WarmupRule"/>) or the run is cut at
    /// the stage's deadline. Answers are not judged; three rounds in a row in which every request failed end it (the
    /// checks will say why), while a pod that fails a few requests as it loads is warmed up on.
    /// </summary>
    async Task<PodWarmup> WarmUpAsync(ProbeContext probe, WarmupSpec warmup, CheckTarget pod, CancellationToken ct)
    {
        const int FailedRoundsToStop = 3;
        var rounds = new List<long>();
        var (requests, failed, failedRounds) = (0, 0, 0);
        while (true)
        {
            var (round, failedInRound) = (0L, 0);
            foreach (var request in warmup.Requests)
            {
                var (reason, elapsedMs) = await AttemptAsync(probe, request, pod, ct);
                round += elapsedMs;
                failedInRound += reason is null ? 0 : 1;
            }

            rounds.Add(round);
            requests += warmup.Requests.Count;
            failed += failedInRound;
            failedRounds = failedInRound == warmup.Requests.Count ? failedRounds + 1 : 0;
            if (failedRounds == FailedRoundsToStop || WarmupRule.Done(warmup, rounds))
                break;
        }

        logger.LogDebug("Warmed up {Pod}: {Rounds} rounds, {First} ms then {Last} ms", pod.Pod, rounds.Count, rounds[0], rounds[^1]);
        return new PodWarmup(pod.Pod, requests, failed, rounds[0], rounds[^1]);
    }

    /// <returns>Why the attempt failed (null: it passed) and how long it took.</returns>
    Task<(string? Reason, long ElapsedMs)> AttemptAsync(ProbeContext probe, CheckSpec check, CheckTarget? pod, CancellationToken ct) =>
        TimedAsync(check.TimeoutSeconds > 0 ? check.TimeoutSeconds : DefaultTimeoutSeconds, ct, async (address, token) =>
        {
            if (check.Http is { } httpCheck)
            {
                address.Value = Target(pod, httpCheck.Port, httpCheck.Path);
                return await HttpProbe.AttemptAsync(probe, httpCheck, address.Value!, token);
            }

            if (check.Inference is { } inference)
            {
                address.Value = Target(pod, inference.Port, InferenceProbe.InferPath(inference));
                return await InferenceProbe.AttemptAsync(probe, inference, address.Value!, token);
            }

            return check.Prometheus is { } query
                ? await prometheus.AttemptAsync(probe, query, probe.Namespace, token)
                : "check has none of http, inference or prometheus";
        });

    /// <summary>One attempt under its own deadline; a timeout, a refused connection or a bad answer become its reason.</summary>
    static async Task<(string? Reason, long ElapsedMs)> TimedAsync(int seconds, CancellationToken ct, Func<StrongBox<Uri?>, CancellationToken, Task<string?>> attempt)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(seconds));
        var clock = Stopwatch.StartNew();
        var target = new StrongBox<Uri?>();
        try
        {
            var reason = await attempt(target, deadline.Token);
            return (reason, clock.ElapsedMilliseconds);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            // The client's connect timeout cancels too, long before the attempt's own deadline.
            return (deadline.IsCancellationRequested || ex.InnerException is not TimeoutException
                ? $"timed out after {seconds} s{On(target.Value)}"
                : $"no connection within the connect timeout{On(target.Value)}", clock.ElapsedMilliseconds);
        }
        catch (ProbeFailedException ex)
        {
            return (ex.Message, clock.ElapsedMilliseconds);
        }
        catch (HttpRequestException ex)
        {
            return (Describe(ex, target.Value), clock.ElapsedMilliseconds);
        }
    }

    static Uri Target(CheckTarget? pod, int port, string path)
    {
        if (pod is null)
            throw new ProbeFailedException("an http or inference check needs a pod");
        return pod.Address(port, path, out var problem) ?? throw new ProbeFailedException($"refused to send: {problem}");
    }

    static string Describe(HttpRequestException ex, Uri? address)
    {
        var socket = ex.InnerException as SocketException ?? ex.InnerException?.InnerException as SocketException;
        return socket?.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => $"connection refused{On(address)}",
            SocketError.HostUnreachable or SocketError.NetworkUnreachable => $"pod unreachable{On(address)}",
            SocketError.ConnectionReset => $"connection reset{On(address)}",
            _ when ex.InnerException is TimeoutException => $"connect timed out{On(address)}",
            _ => $"request failed{On(address)}: {ex.Message}",
        };
    }

    static string On(Uri? address) => address is null ? "" : $" ({address.Authority})";
}
