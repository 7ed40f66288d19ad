using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Runtime;

namespace BlueGreenOperator.Reconciliation;

/// <summary>
/// Runs checks outside reconciles, on a bounded pool, and remembers each object's last report of each kind until a
/// newer one replaces it or the colour is written again. A reconcile that asks for checks returns at once; the report
/// wakes the object when it is ready. Because reports are remembered, a status write that fails does not make the
/// checks run again, and a failure is never forgotten by this process: the next decision sees it again.
/// </summary>
internal sealed class CheckCoordinator : IDisposable
{
    readonly ICheckRunner _runner;
    readonly SemaphoreSlim _slots;
    readonly Action<ObjectKey> _wake;
    readonly CancellationTokenSource _stopping = new();
    readonly object _gate = new();
    readonly Dictionary<string, ObjectChecks> _objects = new(StringComparer.Ordinal);

    public CheckCoordinator(ICheckRunner runner, int maxConcurrentRuns, Action<ObjectKey> wake)
    {
        _runner = runner;
        _slots = new SemaphoreSlim(Math.Max(1, maxConcurrentRuns));
        _wake = wake;
    }

    /// <summary>Check runs started and not finished yet, for tests and metrics.</summary>
    public int Running
    {
        get
        {
            lock (_gate)
                return _objects.Values.Sum(o => o.InFlight.Count);
        }
    }

    public CheckReport? LastReport(string uid, CheckKind kind)
    {
        lock (_gate)
            return _objects.TryGetValue(uid, out var checks) ? checks.Last(kind) : null;
    }

    /// <summary>Starts a run unless the same run is in flight; the object is woken when its report is stored.</summary>
    public void Start(ObjectKey key, string uid, CheckKind kind, Color color, string revision, IReadOnlyList<CheckTarget> targets, IReadOnlyList<CheckSpec> specs)
    {
        Run run;
        lock (_gate)
        {
            var checks = Get(uid);
            var epoch = checks.Epoch(color);
            if (checks.InFlight.Any(r => r.Kind == kind && r.Color == color && r.Revision == revision && r.Epoch == epoch))
                return;
            run = new Run(kind, color, revision, epoch);
            checks.InFlight.Add(run);
        }

        _ = RunAsync(key, uid, run, targets, specs);
    }

    /// <summary>The colour was written: reports of its earlier pods say nothing about the pods to come.</summary>
    public void Invalidate(string uid, Color color)
    {
        lock (_gate)
        {
            var checks = Get(uid);
            checks.Epochs[color] = checks.Epoch(color) + 1;
            checks.Reports.RemoveAll(r => r.Color == color);
        }
    }

    public void Forget(string uid)
    {
        lock (_gate)
            _objects.Remove(uid);
    }

    async Task RunAsync(ObjectKey key, string uid, Run run, IReadOnlyList<CheckTarget> targets, IReadOnlyList<CheckSpec> specs)
    {
        CheckReport? report = null;
        try
        {
            await _slots.WaitAsync(_stopping.Token);
            try
            {
                report = await _runner.RunAsync(run.Kind, run.Color, run.Revision, targets, specs, _stopping.Token);
            }
            finally
            {
                _slots.Release();
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        finally
        {
            lock (_gate)
            {
                if (_objects.TryGetValue(uid, out var checks))
                {
                    checks.InFlight.Remove(run);
                    if (report is not null && checks.Epoch(run.Color) == run.Epoch)
                    {
                        checks.Reports.RemoveAll(r => r.Kind == run.Kind);
                        checks.Reports.Add(new Stored(run.Kind, run.Color, report));
                    }
                }
            }
        }

        if (report is not null)
            _wake(key);
    }

    ObjectChecks Get(string uid)
    {
        if (!_objects.TryGetValue(uid, out var checks))
            _objects[uid] = checks = new ObjectChecks();
        return checks;
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    sealed record Run(CheckKind Kind, Color Color, string Revision, int Epoch);

    sealed record Stored(CheckKind Kind, Color Color, CheckReport Report);

    sealed class ObjectChecks
    {
        public List<Run> InFlight { get; } = [];

        public List<Stored> Reports { get; } = [];

        public Dictionary<Color, int> Epochs { get; } = [];

        public int Epoch(Color color) => Epochs.TryGetValue(color, out var epoch) ? epoch : 0;

        public CheckReport? Last(CheckKind kind) => Reports.FirstOrDefault(r => r.Kind == kind)?.Report;
    }
}
