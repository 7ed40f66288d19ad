using k8s;
using k8s.Models;

namespace BlueGreenOperator.EndToEnd.Tests.Harness;

/// <summary>One state of a Deployment as a watch saw it: whether it exists, its desired size, and the version its template reports.</summary>
internal sealed record DeploymentState(DateTime At, string? Uid, int? Replicas, string? ReportedVersion)
{
    public bool Exists => Uid is not null;

    public override string ToString() =>
        Exists ? $"{At:HH:mm:ss.fff} replicas {Replicas} reporting {ReportedVersion ?? "(unset)"} (uid {Uid![..8]})" : $"{At:HH:mm:ss.fff} absent";
}

/// <summary>
/// Every change of one Deployment's existence, <c>spec.replicas</c> and template REPORTED_VERSION, from a watch, so a
/// test can assert what happened in between its own looks (a colour never scaled below its size, never scaled up
/// again after an abort). Bounded: at most 2,000 changes are kept.
/// </summary>
internal sealed class DeploymentHistory : IAsyncDisposable
{
    const int MaxStates = 2000;

    readonly Lock _lock = new();
    readonly List<DeploymentState> _states = [];
    readonly TaskCompletionSource _firstLook = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly string _name;
    NamedObjectWatch<V1Deployment>? _watch;

    DeploymentHistory(string name) => _name = name;

    public IReadOnlyList<DeploymentState> States
    {
        get
        {
            lock (_lock)
                return [.. _states];
        }
    }

    /// <summary>Starts watching and returns once the first state (present or absent) is known.</summary>
    public static async Task<DeploymentHistory> StartAsync(IKubernetes client, string ns, string name)
    {
        var history = new DeploymentHistory(name);
        history._watch = NamedObjectWatch.Deployment(client, ns, name, history.OnChange);
        await history._firstLook.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return history;
    }

    /// <summary>The states since <paramref name="since"/>, with the state current at that moment first.</summary>
    public IReadOnlyList<DeploymentState> Since(DateTime since)
    {
        var states = States;
        var current = states.LastOrDefault(s => s.At <= since);
        var after = states.Where(s => s.At > since);
        return current is null ? [.. after] : [current, .. after];
    }

    void OnChange(V1Deployment? deployment)
    {
        var state = new DeploymentState(
            DateTime.UtcNow,
            deployment?.Metadata.Uid,
            deployment?.Spec.Replicas,
            deployment?.Spec.Template.Spec.Containers.SelectMany(c => c.Env ?? []).LastOrDefault(e => e.Name == ModelRollout.ReportedVersion)?.Value);
        lock (_lock)
        {
            var last = _states.Count == 0 ? null : _states[^1];
            if (last is null || last with { At = state.At } != state)
            {
                if (_states.Count == MaxStates)
                    _states.RemoveAt(1);
                _states.Add(state);
            }
        }

        _firstLook.TrySetResult();
    }

    public override string ToString() => $"{_name}: {string.Join(" -> ", States)}";

    public async ValueTask DisposeAsync()
    {
        if (_watch is not null)
            await _watch.DisposeAsync();
    }
}
