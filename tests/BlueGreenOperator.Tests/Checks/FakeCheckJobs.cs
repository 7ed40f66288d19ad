using BlueGreenOperator.Checks;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Tests.Checks;

/// <summary>
/// Jobs of one namespace as the API server and the Job controller keep them, for unit tests of the Job runner: each
/// created Job gets a uid and is finished by <see cref="Outcome"/> after <see cref="ReadsUntilFinished"/> reads.
/// </summary>
internal sealed class FakeCheckJobs : ICheckJobs
{
    readonly object _gate = new();
    int _uids;

    public Dictionary<string, V1Job> Jobs { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<V1Pod>> PodsByJob { get; } = new(StringComparer.Ordinal);

    public List<string> Requests { get; } = [];

    /// <summary>How a created Job ends: its condition type and the pods it leaves.</summary>
    public Func<V1Job, (string Condition, string? Reason, IReadOnlyList<V1Pod> Pods)> Outcome { get; set; } =
        _ => ("Complete", null, [Pod("Succeeded", 0, "ok")]);

    public int ReadsUntilFinished { get; set; }

    /// <summary>Runs before each read answers, e.g. a hand edit or delete of the running Job.</summary>
    public Action<FakeCheckJobs, int>? BeforeRead { get; set; }

    /// <summary>Refuses creates with this message.</summary>
    public string? RefuseCreate { get; set; }

    int _reads;

    public Task<V1Job?> ReadAsync(string ns, string name, CancellationToken ct)
    {
        lock (_gate)
        {
            Requests.Add($"get {name}");
            BeforeRead?.Invoke(this, ++_reads);
            if (!Jobs.TryGetValue(name, out var job))
                return Task.FromResult<V1Job?>(null);
            if (job.Status?.Conditions is null && job.Metadata.Annotations?.ContainsKey("reads") == true
                && int.Parse(job.Metadata.Annotations["reads"], System.Globalization.CultureInfo.InvariantCulture) is var left)
            {
                if (left <= 0)
                    Finish(job);
                else
                    job.Metadata.Annotations["reads"] = (left - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            return Task.FromResult<V1Job?>(Copy(job));
        }
    }

    public Task<V1Job> CreateAsync(string ns, V1Job job, CancellationToken ct)
    {
        lock (_gate)
        {
            Requests.Add($"create {job.Metadata.Name}");
            if (RefuseCreate is { } refusal)
                throw new CheckJobException(refusal);
            if (Jobs.ContainsKey(job.Metadata.Name))
                throw new CheckJobExistsException(job.Metadata.Name);
            var stored = Copy(job);
            stored.Metadata.Uid = $"job-uid-{++_uids}";
            stored.Metadata.CreationTimestamp = new DateTime(2026, 11, 20, 12, 0, 0, DateTimeKind.Utc).AddSeconds(_uids);
            stored.Metadata.Annotations ??= new Dictionary<string, string>();
            stored.Metadata.Annotations["reads"] = ReadsUntilFinished.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Jobs[stored.Metadata.Name] = stored;
            return Task.FromResult(Copy(stored));
        }
    }

    public Task DeleteAsync(string ns, string name, string uid, CancellationToken ct)
    {
        lock (_gate)
        {
            Requests.Add($"delete {name}");
            if (Jobs.TryGetValue(name, out var job) && job.Metadata.Uid == uid)
                Jobs.Remove(name);
            return Task.CompletedTask;
        }
    }

    public Task<IReadOnlyList<V1Job>> ListAsync(string ns, string labelSelector, CancellationToken ct)
    {
        lock (_gate)
        {
            Requests.Add("list");
            return Task.FromResult<IReadOnlyList<V1Job>>([.. Jobs.Values.Select(Copy)]);
        }
    }

    public Task<IReadOnlyList<V1Pod>> PodsAsync(string ns, string jobUid, CancellationToken ct)
    {
        lock (_gate)
            return Task.FromResult<IReadOnlyList<V1Pod>>(PodsByJob.TryGetValue(jobUid, out var pods) ? [.. pods] : []);
    }

    /// <summary>A Job that exists already (someone else's, or a finished one of an earlier run).</summary>
    public V1Job Add(V1Job job, string? finished = null)
    {
        lock (_gate)
        {
            var stored = Copy(job);
            stored.Metadata.Uid ??= $"job-uid-{++_uids}";
            stored.Metadata.CreationTimestamp ??= new DateTime(2026, 11, 20, 11, 0, 0, DateTimeKind.Utc).AddSeconds(_uids);
            if (finished is not null)
                stored.Status = new V1JobStatus { Conditions = [new V1JobCondition { Type = finished, Status = "True" }] };
            Jobs[stored.Metadata.Name] = stored;
            return stored;
        }
    }

    public static V1Pod Pod(string phase, int exitCode, string? message, DateTime? created = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = $"pod-{phase}-{exitCode}", CreationTimestamp = created ?? new DateTime(2026, 11, 20, 12, 0, 0, DateTimeKind.Utc) },
        Status = new V1PodStatus
        {
            Phase = phase,
            ContainerStatuses =
            [
                new V1ContainerStatus
                {
                    Name = "evaluate",
                    State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = exitCode, Message = message } },
                },
            ],
        },
    };

    void Finish(V1Job job)
    {
        var (condition, reason, pods) = Outcome(job);
        job.Status = new V1JobStatus
        {
            StartTime = job.Metadata.CreationTimestamp,
            CompletionTime = condition == "Complete" ? job.Metadata.CreationTimestamp?.AddSeconds(12) : null,
            Conditions = [new V1JobCondition { Type = condition, Status = "True", Reason = reason }],
        };
        PodsByJob[job.Metadata.Uid] = [.. pods];
    }

    static V1Job Copy(V1Job job) => KubernetesJson.Deserialize<V1Job>(KubernetesJson.Serialize(job));
}
