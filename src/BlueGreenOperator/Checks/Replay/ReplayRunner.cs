using System.Diagnostics;
using System.Text.Json;
using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Checks.Replay;

/// <summary>
/// Replays a data set of recorded inference requests: each sampled line is sent to a pod of the new colour and, at
/// the same time, to a pod of the serving colour (pods taken in turn), and <see cref="ParityComparison"/> judges the
/// answers. A data set that cannot be read or is over its bounds fails the run with the reason.
/// </summary>
public sealed class ReplayRunner(HttpClient http, IReplayData data, ILogger<ReplayRunner> logger, CheckLimits? limits = null) : ICheckRunner
{
    public const string CheckName = "replay";

    readonly CheckLimits _limits = limits ?? new CheckLimits();

    public async Task<CheckReport> RunAsync(CheckRun run, CancellationToken ct)
    {
        var replay = run.Replay ?? throw new ArgumentException("a replay run needs its replay", nameof(run));
        var pods = run.Pods;
        var hashes = pods.Select(p => p.PodTemplateHash).Distinct().ToList();
        var hash = hashes is [{ } one] ? one : null;
        if (pods.Count == 0)
        {
            logger.LogWarning("No ready {Color} pod at revision {Revision} to replay against", run.Color.Label(), run.Revision);
            return new CheckReport(run.Color, run.Revision, [], [], null, DateTime.UtcNow);
        }

        // After the switch the standby is what the serving colour is compared with: without one there is nothing to compare.
        if (replay.AfterSwitch && replay.Serving.Count == 0)
        {
            logger.LogInformation("No ready standby pod at revision {Serving} to compare {Color} with: the replay is skipped", replay.ServingRevision, run.Color.Label());
            return new CheckReport(run.Color, run.Revision, [], [.. pods.Select(p => p.Pod)], hash, DateTime.UtcNow);
        }

        ParityStatus parity;
        try
        {
            var lines = ReplayDataSet.Sample(await ReadAsync(run.Namespace, replay.Spec, ct), replay.Spec.SampleSize);
            var outcomes = await SendAsync(replay, pods, lines, ct);
            parity = ParityComparison.Evaluate(replay.Spec, outcomes, run.Revision, hash, replay.ServingRevision);
        }
        catch (ReplayDataException e)
        {
            parity = new ParityStatus { Revision = run.Revision, PodTemplateHash = hash, ServingRevision = replay.ServingRevision, Message = e.Message };
        }

        parity.Color = run.Color.Label();
        parity.ServingColor = replay.ServingColor?.Label();
        parity.AfterSwitch = replay.AfterSwitch;

        if (parity.Passed)
            logger.LogInformation("Replay on {Color} revision {Revision} against {Serving}: {Message}", run.Color.Label(), run.Revision, replay.ServingRevision ?? "(nothing serving)", parity.Message);
        else
            logger.LogWarning("Replay on {Color} revision {Revision} against {Serving} failed: {Message}", run.Color.Label(), run.Revision, replay.ServingRevision ?? "(nothing serving)", parity.Message);
        var result = new PodCheckResult(CheckName, null, parity.Passed, (long)Math.Round(parity.LatencyP95Ms ?? 0), parity.Message ?? "");
        return new CheckReport(run.Color, run.Revision, [result], [.. pods.Select(p => p.Pod)], hash, DateTime.UtcNow) { Parity = parity };
    }

    async Task<IReadOnlyList<ReplayLine>> ReadAsync(string ns, ReplaySpec spec, CancellationToken ct)
    {
        if (spec.ConfigMapRef is { } reference)
            return ReplayDataSet.Parse(await data.ReadAsync(ns, reference, ct), $"ConfigMap {reference.Name} key {reference.Key}");
        return ReplayDataSet.Parse(string.Join('\n', spec.Lines ?? []), "spec.replay.lines");
    }

    async Task<IReadOnlyList<ReplayOutcome>> SendAsync(ReplayRequest replay, IReadOnlyList<CheckTarget> pods, IReadOnlyList<ReplayLine> lines, CancellationToken ct)
    {
        var spec = replay.Spec;
        var path = InferenceProbe.InferPath(new InferenceCheckSpec { Model = spec.Model, ModelVersion = spec.ModelVersion });
        var probe = new ProbeContext("", http, _limits.MaxBodyBytes, RunCredentials.None);
        var outcomes = new ReplayOutcome[lines.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Clamp(spec.Concurrency, 1, 32), CancellationToken = ct };
        await Parallel.ForEachAsync(Enumerable.Range(0, lines.Count), options, async (i, token) =>
        {
            var line = lines[i];
            var fresh = AskAsync(probe, spec, pods[i % pods.Count], path, line, token);
            var serving = replay.Serving.Count > 0 ? AskAsync(probe, spec, replay.Serving[i % replay.Serving.Count], path, line, token) : null;
            outcomes[i] = new ReplayOutcome(line, await fresh, serving is null ? (replay.ServingRevision is null ? null : ReplayAnswer.Failed("no ready serving pod", 0)) : await serving);
        });
        return outcomes;
    }

    static async Task<ReplayAnswer> AskAsync(ProbeContext probe, ReplaySpec spec, CheckTarget pod, string path, ReplayLine line, CancellationToken ct)
    {
        var address = pod.Address(spec.Port, path, out var problem);
        if (address is null)
            return ReplayAnswer.Failed($"refused to send: {problem}", 0);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, spec.TimeoutSeconds)));
        var clock = Stopwatch.StartNew();
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, address)
            {
                Content = new ByteArrayContent(line.Request) { Headers = { ContentType = new("application/json") } },
            };
            using var response = await ProbeResponse.SendAsync(probe, request, deadline.Token);
            var elapsed = clock.Elapsed.TotalMilliseconds;
            if ((int)response.Status != 200)
                return ReplayAnswer.Failed($"{pod.Pod}: {response.StatusMismatch(200)}", elapsed);
            var outputs = InferenceProbe.ParseOutputs(response.Body.Span);
            return new ReplayAnswer(outputs.ToDictionary(o => o.Key, o => o.Value.ToArray(), StringComparer.Ordinal), null, elapsed);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return ReplayAnswer.Failed($"{pod.Pod}: timed out after {spec.TimeoutSeconds} s", clock.Elapsed.TotalMilliseconds);
        }
        catch (Exception e) when (e is HttpRequestException or ProbeFailedException or JsonException)
        {
            return ReplayAnswer.Failed($"{pod.Pod}: {ProbeResponse.Shorten(e.Message, 120)}", clock.Elapsed.TotalMilliseconds);
        }
    }
}

/// <summary>Hands each run to the runner of its kind: replays to <see cref="ReplayRunner"/>, every other kind to <see cref="SmokeTestRunner"/>.</summary>
public sealed class CheckRunnerByKind(SmokeTestRunner checks, ReplayRunner replay) : ICheckRunner
{
    public Task<CheckReport> RunAsync(CheckRun run, CancellationToken ct) =>
        run.Kind == CheckKind.Replay ? replay.RunAsync(run, ct) : checks.RunAsync(run, ct);
}
