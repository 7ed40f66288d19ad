using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Checks;

/// <summary>The Jobs of job checks, in the object's own namespace: one GET, create or delete at a time, no cache.</summary>
public interface ICheckJobs
{
    /// <returns>The Job, or null when it does not exist.</returns>
    Task<V1Job?> ReadAsync(string ns, string name, CancellationToken ct);

    /// <exception cref="CheckJobExistsException">A Job of that name exists already.</exception>
    Task<V1Job> CreateAsync(string ns, V1Job job, CancellationToken ct);

    /// <summary>Deletes the Job with this uid and, in the background, its pods; a Job already gone is not an error.</summary>
    Task DeleteAsync(string ns, string name, string uid, CancellationToken ct);

    Task<IReadOnlyList<V1Job>> ListAsync(string ns, string labelSelector, CancellationToken ct);

    /// <summary>The pods the Job controller made for the Job with this uid.</summary>
    Task<IReadOnlyList<V1Pod>> PodsAsync(string ns, string jobUid, CancellationToken ct);
}

/// <summary>The API server refused a Job request, with why (the check fails with it).</summary>
public sealed class CheckJobException(string message) : Exception(message);

/// <summary>A create met a Job of the same name (a lost response, a crash, another run): it is read again.</summary>
public sealed class CheckJobExistsException(string name) : Exception($"Job {name} exists");

/// <summary>
/// What a job check needs of the object beyond its pods: the owner of its Jobs, which run this is (so that a crash or
/// a lost write finds the same Job again), where the preview Service is, and until when the stage lasts.
/// </summary>
/// <param name="RunId">Stable across restarts for one check run (see <see cref="JobCheck.RunIdentity"/>).</param>
public sealed record CheckRunOwner(
    string Name,
    string Uid,
    string ModelName,
    string RunId,
    string PreviewService,
    int PreviewPort,
    int TargetPort,
    DateTimeOffset? Deadline);

/// <summary>
/// Runs one job check as a Kubernetes Job (rows J1–J9 of docs/design.md): named from the run, so a crash or a lost
/// create finds the same Job again; owned by the BlueGreenDeployment; bounded by the stage's deadline; its pod's
/// termination message becomes the check's message. A deleted Job is created again, an edited one is replaced, and a
/// Job of that name that is not ours is never used. Finished Jobs beyond the newest <see cref="KeptJobs"/> go.
/// </summary>
public sealed class JobCheck(ICheckJobs jobs, ILogger logger, TimeProvider? time = null, TimeSpan? poll = null)
{
    public const int MaxBackoffLimit = 6;

    /// <summary>Finished Jobs kept per object for people to read (the newest; running ones are never deleted).</summary>
    public const int KeptJobs = 3;

    /// <summary>A Job deleted this often while its run waited is not created again: the run fails.</summary>
    public const int MaxRecreations = 3;

    public const string CheckLabel = WellKnown.Group + "/check";
    public const string CheckKindLabel = WellKnown.Group + "/check-kind";
    public const string RunAnnotation = WellKnown.Group + "/check-run";

    /// <summary>The Job's own limit when the stage has no deadline to count from.</summary>
    const int DefaultDeadlineSeconds = 3600;

    readonly TimeProvider _time = time ?? TimeProvider.System;

    readonly TimeSpan _poll = poll ?? TimeSpan.FromSeconds(1);

    /// <summary>
    /// The identity of one check run, the same after a restart: smoke tests of a release are told apart by when the
    /// release (or its promotion, or a retry) started and by the template of the pods; analysis runs by the switch
    /// and the run's number.
    /// </summary>
    public static string RunIdentity(BlueGreenDeployment resource, CheckKind kind, Color color, string revision, IReadOnlyList<CheckTarget> targets)
    {
        var status = resource.Status;
        var hashes = string.Join(",", targets.Select(t => t.PodTemplateHash).Distinct().Order(StringComparer.Ordinal));
        return kind == CheckKind.Smoke
            ? $"smoke/{color.Label()}/{revision}/{Stamp(status?.ProgressStartedAt)}/{hashes}"
            : $"analysis/{color.Label()}/{revision}/{Stamp(status?.SwitchedAt)}/{(status?.Analysis?.Runs ?? 0) + 1}";
    }

    public static CheckRunOwner Owner(BlueGreenDeployment resource, CheckKind kind, Color color, string revision, IReadOnlyList<CheckTarget> targets, DateTimeOffset? deadline)
    {
        var port = resource.Spec.Service?.Ports?.FirstOrDefault();
        return new CheckRunOwner(
            resource.Metadata.Name,
            resource.Metadata.Uid ?? "",
            resource.Spec.Model?.Name ?? "",
            RunIdentity(resource, kind, color, revision, targets),
            resource.Spec.Service is { } service ? SpecValidator.PreviewServiceName(service) : "",
            port?.Port ?? 80,
            port?.TargetPort ?? 80,
            deadline);
    }

    /// <summary>The Job's name: at most 57 characters, the same for the same object, run and check spec.</summary>
    public static string JobName(CheckRunOwner owner, CheckSpec check)
    {
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes($"{owner.Uid}\n{owner.RunId}\n{KubernetesJson.Serialize(check)}"));
        var prefix = $"{owner.Name}-{check.Name}";
        prefix = prefix.Length > 46 ? prefix[..46].TrimEnd('-') : prefix;
        return $"{prefix}-{Convert.ToHexStringLower(digest)[..10]}";
    }

    /// <summary>The Job this check run creates.</summary>
    public static V1Job Build(CheckRun run, CheckRunOwner owner, CheckSpec check, DateTimeOffset now)
    {
        var spec = check.Job ?? throw new ArgumentException("not a job check", nameof(check));

        // A deep copy: the object's spec stays as read.
        var template = KubernetesJson.Deserialize<V1PodTemplateSpec>(KubernetesJson.Serialize(spec.Template));
        template.Spec.RestartPolicy ??= "Never";
        var environment = JobCheckEnvironment.For(run, owner);
        foreach (var container in template.Spec.Containers)
            container.Env = [.. (container.Env ?? []).Where(e => !environment.ContainsKey(e.Name)), .. environment.Select(e => new V1EnvVar { Name = e.Key, Value = e.Value })];

        var name = JobName(owner, check);
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = new V1ObjectMeta
            {
                Name = name,
                NamespaceProperty = run.Namespace,
                Labels = new Dictionary<string, string>
                {
                    [WellKnown.ManagedByLabel] = WellKnown.ManagedByValue,
                    [WellKnown.InstanceLabel] = owner.Name,
                    [WellKnown.ColorLabel] = run.Color.Label(),
                    [WellKnown.RevisionLabel] = run.Revision,
                    [CheckLabel] = check.Name,
                    [CheckKindLabel] = run.Kind.Label(),
                },
                Annotations = new Dictionary<string, string> { [RunAnnotation] = owner.RunId },
                OwnerReferences =
                [
                    new V1OwnerReference
                    {
                        ApiVersion = WellKnown.ApiVersion,
                        Kind = WellKnown.Kind,
                        Name = owner.Name,
                        Uid = owner.Uid,
                        Controller = true,
                        BlockOwnerDeletion = true,
                    },
                ],
            },
            Spec = new V1JobSpec
            {
                Template = template,
                BackoffLimit = spec.BackoffLimit,
                Completions = 1,
                Parallelism = 1,
                ActiveDeadlineSeconds = DeadlineSeconds(spec, owner, now),
            },
        };
    }

    /// <summary>Runs the check to its end (or until <paramref name="ct"/> is cancelled at the stage's deadline).</summary>
    public async Task<PodCheckResult> RunAsync(CheckRun run, CheckSpec check, CancellationToken ct)
    {
        using var activity = CheckTelemetry.Source.StartActivity($"check {check.Name}");
        activity?.SetTag("bluegreen.check.name", check.Name);
        activity?.SetTag("bluegreen.check.kind", run.Kind.Label());
        activity?.SetTag("bluegreen.check.probe", "job");
        var clock = Stopwatch.StartNew();
        string? failure = null;
        string message;
        try
        {
            (var passed, message) = await AwaitJobAsync(run, check, ct);
            if (!passed)
                failure = message;
        }
        catch (CheckJobException e)
        {
            failure = message = e.Message;
        }

        var elapsed = clock.ElapsedMilliseconds;
        activity?.SetTag("bluegreen.check.passed", failure is null);
        if (failure is not null)
            activity?.SetStatus(ActivityStatusCode.Error, failure);
        CheckTelemetry.RecordDuration(check, run.Kind, failure is null, clock.Elapsed);
        return new PodCheckResult(check.Name, null, failure is null, elapsed, message);
    }

    async Task<(bool Passed, string Message)> AwaitJobAsync(CheckRun run, CheckSpec check, CancellationToken ct)
    {
        var owner = run.Owner ?? throw new CheckJobException("a job check needs the object's identity, which this run was not given");
        var desired = Build(run, owner, check, _time.GetUtcNow());
        var name = desired.Metadata.Name;
        var ns = run.Namespace;
        var created = 0;
        while (true)
        {
            // J2: a Job of this name exists after a crash or a lost create: it is this run's, and it is read, not made twice.
            var job = await jobs.ReadAsync(ns, name, ct);
            if (job is null)
            {
                // J4: deleted by hand while the run waited: made again, a bounded number of times.
                if (created > MaxRecreations)
                    throw new CheckJobException($"Job {name} was deleted {created} times while its check ran");
                desired.Spec.ActiveDeadlineSeconds = DeadlineSeconds(check.Job!, owner, _time.GetUtcNow());
                try
                {
                    job = await jobs.CreateAsync(ns, desired, ct);
                    if (created++ == 0)
                        logger.LogInformation("Created Job {Job} for {Kind} check {Check} of {Color} at {Revision}", name, run.Kind.Label(), check.Name, run.Color.Label(), run.Revision);
                    else
                        logger.LogWarning("Job {Job} of check {Check} was deleted while it ran; created it again", name, check.Name);
                }
                catch (CheckJobExistsException)
                {
                    // Made meanwhile (another run, a lost response): read again after a pause, never in a tight loop.
                    await Task.Delay(_poll, _time, ct);
                    continue;
                }
            }

            // J6: a Job that is ours by name only is never used: its result would not be this check's.
            if (job.Metadata.OwnerReferences?.Any(o => o.Uid == owner.Uid) != true)
                throw new CheckJobException($"Job {name} exists and is not owned by this BlueGreenDeployment; it is left alone");

            // Being deleted (by hand, or by J5 with foreground deletion): made again once it is gone.
            if (job.Metadata.DeletionTimestamp is not null)
            {
                await Task.Delay(_poll, _time, ct);
                continue;
            }

            // J5: the spec of a Job can be edited (its pod template cannot): an edited Job is replaced.
            if (Edited(job, desired, check.Job!) is { } edit)
            {
                logger.LogWarning("Job {Job} of check {Check} was edited ({Edit}); replacing it", name, check.Name, edit);
                await jobs.DeleteAsync(ns, name, job.Metadata.Uid, ct);
                continue;
            }

            if (Finished(job) is { } finished)
            {
                var result = await DescribeAsync(ns, job, finished, ct);
                await PruneAsync(ns, owner, check, ct);
                return result;
            }

            await Task.Delay(_poll, _time, ct);
        }
    }

    /// <summary>Why a Job is not what this run creates, or null.</summary>
    /// <remarks>
    /// A Job found again was made with the time left at its create, so its deadline is only held to the check's own
    /// limit; the stage's deadline cuts the run whatever the Job says.
    /// </remarks>
    static string? Edited(V1Job job, V1Job desired, JobCheckSpec spec) =>
        job.Spec?.Completions != 1 ? "completions"
        : job.Spec.Parallelism != 1 ? "parallelism"
        : job.Spec.BackoffLimit != desired.Spec.BackoffLimit ? "backoffLimit"
        : job.Spec.ActiveDeadlineSeconds is not { } seconds || seconds > (spec.ActiveDeadlineSeconds ?? DefaultDeadlineSeconds) ? "activeDeadlineSeconds"
        : null;

    static string? Finished(V1Job job)
    {
        var condition = job.Status?.Conditions?.FirstOrDefault(c => c.Status == "True" && c.Type is "Complete" or "Failed");
        return condition?.Type;
    }

    async Task<(bool Passed, string Message)> DescribeAsync(string ns, V1Job job, string finished, CancellationToken ct)
    {
        var passed = finished == "Complete";
        var pods = await jobs.PodsAsync(ns, job.Metadata.Uid, ct);
        var (text, exitCode) = TerminationMessage(pods, passed);
        var took = job.Status?.StartTime is { } start && job.Status.CompletionTime is { } end
            ? $" in {(end - start).TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s"
            : "";
        if (passed)
            return (true, text is null ? $"Job {job.Metadata.Name} succeeded{took}" : $"{text} (Job {job.Metadata.Name} succeeded{took})");

        var condition = job.Status?.Conditions?.First(c => c.Type == "Failed" && c.Status == "True");
        var why = condition?.Reason ?? "Failed";
        var code = exitCode is { } exit ? $", exit code {exit}" : "";
        return (false, text is null
            ? $"Job {job.Metadata.Name} failed: {why}{code}{(condition?.Message is { Length: > 0 } said ? $" ({said})" : "")}"
            : $"{text} (Job {job.Metadata.Name} failed: {why}{code})");
    }

    /// <summary>
    /// The message the check's container left (<c>terminationMessagePath</c>, or its log's tail with
    /// <c>FallbackToLogsOnError</c>): of a pod that succeeded, or of the last pod that failed.
    /// </summary>
    public static (string? Message, int? ExitCode) TerminationMessage(IReadOnlyList<V1Pod> pods, bool passed)
    {
        var chosen = pods
            .Where(p => passed ? p.Status?.Phase == "Succeeded" : p.Status?.Phase != "Succeeded")
            .OrderByDescending(p => p.Metadata?.CreationTimestamp ?? DateTime.MinValue)
            .ThenByDescending(p => p.Metadata?.Name, StringComparer.Ordinal);
        foreach (var pod in chosen)
        {
            var ended = (pod.Status?.ContainerStatuses ?? [])
                .Select(s => s.State?.Terminated ?? s.LastState?.Terminated)
                .Where(t => t is not null)
                .Select(t => t!)
                .ToList();
            var failedFirst = passed ? ended : [.. ended.OrderBy(t => t.ExitCode == 0 ? 1 : 0)];
            var message = failedFirst.Select(t => Clean(t.Message)).FirstOrDefault(m => m is not null);
            var code = failedFirst.FirstOrDefault()?.ExitCode;
            if (message is not null || code is not null)
                return (message, code);
        }

        return (null, null);
    }

    /// <summary>One line, no control characters, bounded: what a person reads in status.</summary>
    static string? Clean(string? message)
    {
        if (string.IsNullOrWhiteSpace(message))
            return null;
        var line = new string([.. message.Trim().Select(c => char.IsControl(c) ? ' ' : c)]);
        return line.Length <= StatusLimits.CheckMessageLength ? line : line[..StatusLimits.CheckMessageLength];
    }

    /// <summary>J8: finished Jobs of the object beyond the newest <see cref="KeptJobs"/> (or the run's job checks, if more) are deleted.</summary>
    async Task PruneAsync(string ns, CheckRunOwner owner, CheckSpec check, CancellationToken ct)
    {
        try
        {
            var all = await jobs.ListAsync(ns, $"{WellKnown.ManagedByLabel}={WellKnown.ManagedByValue},{WellKnown.InstanceLabel}={owner.Name},{CheckLabel}", ct);
            var ours = all.Where(j => j.Metadata.OwnerReferences?.Any(o => o.Uid == owner.Uid) == true)
                .OrderByDescending(j => j.Metadata.CreationTimestamp ?? DateTime.MaxValue)
                .ThenByDescending(j => j.Metadata.Name, StringComparer.Ordinal)
                .ToList();
            foreach (var old in ours.Skip(KeptJobs).Where(j => Finished(j) is not null))
            {
                await jobs.DeleteAsync(ns, old.Metadata.Name, old.Metadata.Uid, ct);
                logger.LogInformation("Deleted finished Job {Job} (history of {Kept} kept)", old.Metadata.Name, KeptJobs);
            }
        }
        catch (CheckJobException e)
        {
            logger.LogWarning("Pruning the Jobs of check {Check} failed: {Reason}", check.Name, e.Message);
        }
    }

    /// <summary>The check's own limit, never beyond the stage's deadline; at least one second.</summary>
    static long DeadlineSeconds(JobCheckSpec spec, CheckRunOwner owner, DateTimeOffset now)
    {
        long seconds = spec.ActiveDeadlineSeconds ?? DefaultDeadlineSeconds;
        if (owner.Deadline is { } deadline)
            seconds = Math.Min(seconds, (long)Math.Ceiling((deadline - now).TotalSeconds));
        return Math.Max(1, seconds);
    }

    static string Stamp(DateTime? at) =>
        at is { } time ? time.ToUniversalTime().ToString("yyyyMMddTHHmmss", CultureInfo.InvariantCulture) : "-";
}

/// <summary>The environment a job check's containers get: where the colour under check answers.</summary>
public static class JobCheckEnvironment
{
    /// <summary><c>http://{preview Service}.{namespace}.svc:{port}</c>: the colour under check (the serving colour after the switch).</summary>
    public const string PreviewUrl = "BLUEGREEN_PREVIEW_URL";

    /// <summary>The ready pods the run checks, as <c>ip:targetPort</c> separated by commas (IPv6 in brackets).</summary>
    public const string TargetPods = "BLUEGREEN_TARGET_PODS";

    public const string ModelName = "BLUEGREEN_MODEL_NAME";
    public const string Revision = "BLUEGREEN_REVISION";
    public const string Color = "BLUEGREEN_COLOR";

    /// <summary><c>smoke</c> or <c>analysis</c>.</summary>
    public const string CheckKind = "BLUEGREEN_CHECK_KIND";

    public static IReadOnlyDictionary<string, string> For(CheckRun run, CheckRunOwner owner) => new Dictionary<string, string>
    {
        [PreviewUrl] = $"http://{owner.PreviewService}.{run.Namespace}.svc:{owner.PreviewPort.ToString(CultureInfo.InvariantCulture)}",
        [TargetPods] = string.Join(",", run.Pods.Select(p => Authority(p.IP, owner.TargetPort))),
        [ModelName] = owner.ModelName,
        [Revision] = run.Revision,
        [Color] = run.Color.Label(),
        [CheckKind] = run.Kind.Label(),
    };

    static string Authority(string ip, int port) =>
        (ip.Contains(':', StringComparison.Ordinal) ? $"[{ip}]" : ip) + ":" + port.ToString(CultureInfo.InvariantCulture);
}
