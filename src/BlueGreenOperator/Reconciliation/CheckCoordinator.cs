using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Rollout;
using BlueGreenOperator.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BlueGreenOperator.Reconciliation;

/// <summary>
/// Runs checks outside reconciles, on one bounded pool, and remembers each object's last report of each kind until a
/// newer one replaces it or the colour is written again. A reconcile that asks for checks returns at once; the report
/// wakes the object when it is ready. Because reports are remembered, a status write that fails does not make the
/// checks run again, and a failure is never forgotten by this process: the next decision sees it again.
/// <para>
/// The pool is shared fairly between namespaces: a namespace holds at most <c>maxRunsPerNamespace</c> of its slots,
/// and a freed slot goes to the waiting namespace served least recently (first come first among equals), so slow
/// pods in one namespace delay only that namespace's runs. A run never outlives its budget (the deadline of the stage it serves): it is cancelled
/// there, waiting or running, and reports nothing; the planner acts on the deadline.
/// </para>
/// </summary>
internal sealed class CheckCoordinator : IDisposable
{
    readonly ICheckRunner _runner;
    readonly Action<ObjectKey> _wake;
    readonly ILogger _logger;
    readonly CancellationTokenSource _stopping = new();
    readonly object _gate = new();
    readonly Dictionary<string, ObjectChecks> _objects = new(StringComparer.Ordinal);

    // Waiting runs, one queue per namespace; when each namespace with runs waiting or running last got a slot.
    readonly Dictionary<string, Queue<Run>> _waiting = new(StringComparer.Ordinal);
    readonly Dictionary<string, int> _executingIn = new(StringComparer.Ordinal);
    readonly Dictionary<string, long> _lastServed = new(StringComparer.Ordinal);
    long _ticks;
    int _executing;

    public CheckCoordinator(ICheckRunner runner, int maxConcurrentRuns, Action<ObjectKey> wake, int? maxRunsPerNamespace = null, ILogger? logger = null)
    {
        _runner = runner;
        Slots = Math.Max(1, maxConcurrentRuns);
        SlotsPerNamespace = Math.Clamp(maxRunsPerNamespace ?? DefaultPerNamespace(Slots), 1, Slots);
        _wake = wake;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>Runs at once across all objects.</summary>
    public int Slots { get; }

    /// <summary>Runs of one namespace at once.</summary>
    public int SlotsPerNamespace { get; }

    /// <summary>A quarter of the pool: a few namespaces with slow pods still leave most of it to everyone else.</summary>
    public static int DefaultPerNamespace(int slots) => Math.Max(1, slots / 4);

    /// <summary>Check runs started and not finished yet (waiting for a slot or running), for tests and metrics.</summary>
    public int Running
    {
        get
        {
            lock (_gate)
                return _objects.Values.Sum(o => o.InFlight.Count);
        }
    }

    /// <summary>Runs holding a slot now.</summary>
    public int Executing
    {
        get
        {
            lock (_gate)
                return _executing;
        }
    }

    /// <summary>Runs of one namespace holding a slot now.</summary>
    public int ExecutingIn(string ns)
    {
        lock (_gate)
            return _executingIn.GetValueOrDefault(ns);
    }

    public CheckReport? LastReport(string uid, CheckKind kind)
    {
        lock (_gate)
            return _objects.TryGetValue(uid, out var checks) ? checks.Last(kind) : null;
    }

    /// <summary>
    /// Starts a run unless the same run is in flight; the object is woken when its report is stored, or when the run
    /// was cut at <paramref name="budget"/> (the time left until the deadline of the stage the run serves; null: none).
    /// </summary>
    /// <param name="gates">What each pod goes through before the checks (model identity, warm-up).</param>
    public void Start(ObjectKey key, string uid, CheckKind kind, Color color, string revision, IReadOnlyList<CheckTarget> targets, IReadOnlyList<CheckSpec> specs, TimeSpan? budget = null, CheckRunOwner? owner = null, PodGates? gates = null, ReplayRequest? replay = null)
    {
        if (budget <= TimeSpan.Zero)
        {
            _logger.LogInformation("{Kind} checks on {Color} at {Revision} not started: the stage's deadline has passed", kind.Label(), color.Label(), revision);
            return;
        }

        Run run;
        List<Run> dispatched;
        lock (_gate)
        {
            var checks = Get(uid);
            var epoch = checks.Epoch(color);
            if (checks.InFlight.Any(r => r.Kind == kind && r.Color == color && r.Revision == revision && r.Epoch == epoch))
                return;
            run = new Run(key, uid, kind, color, revision, epoch, targets, specs, CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token), ++_ticks)
            {
                Owner = owner,
                Gates = gates ?? PodGates.None,
                Replay = replay,
            };
            if (budget is { } limit)
                run.Cancel.CancelAfter(limit);
            run.Cancel.Token.Register(() => Withdraw(run));
            checks.InFlight.Add(run);
            Enqueue(run);
            dispatched = TakeDispatchable();
        }

        // Each run goes off on its own at its first await (a runner awaits I/O at once): nothing runs on the caller's worker.
        foreach (var next in dispatched)
            _ = ExecuteAsync(next);
    }

    /// <summary>The colour was written: reports of its earlier pods say nothing about the pods to come, and runs against them stop.</summary>
    public void Invalidate(string uid, Color color)
    {
        List<Run> stale;
        lock (_gate)
        {
            var checks = Get(uid);
            checks.Epochs[color] = checks.Epoch(color) + 1;
            checks.Reports.RemoveAll(r => r.Color == color);
            stale = [.. checks.InFlight.Where(r => r.Color == color)];
        }

        Cancel(stale);
    }

    public void Forget(string uid)
    {
        List<Run> stale;
        lock (_gate)
        {
            stale = _objects.TryGetValue(uid, out var checks) ? [.. checks.InFlight] : [];
            _objects.Remove(uid);
        }

        Cancel(stale);
    }

    static void Cancel(List<Run> runs)
    {
        foreach (var run in runs)
        {
            try
            {
                run.Cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // It finished meanwhile.
            }
        }
    }

    async Task ExecuteAsync(Run run)
    {
        CheckReport? report = null;
        var cut = false;
        try
        {
            using var span = OperatorTelemetry.ActivitySource.StartActivity($"checks {run.Kind.Label()}", System.Diagnostics.ActivityKind.Internal, run.Parent);
            span?.SetTag("bluegreen.check.kind", run.Kind.Label());
            span?.SetTag("bluegreen.color", run.Color.Label());
            span?.SetTag("bluegreen.revision", run.Revision);
            span?.SetTag("bluegreen.pods", run.Targets.Count);
            report = await _runner.RunAsync(new CheckRun(run.Key.Namespace, run.Kind, run.Color, run.Revision, run.Targets, run.Specs) { Owner = run.Owner, Gates = run.Gates, Replay = run.Replay }, run.Cancel.Token);
            span?.SetTag("bluegreen.check.passed", report.Passed);
        }
        catch (OperationCanceledException) when (run.Cancel.IsCancellationRequested)
        {
            cut = !_stopping.IsCancellationRequested;
        }
        catch (Exception e)
        {
            // A runner reports failures in its report; anything else must not leave the run in flight for ever.
            _logger.LogError(e, "{Kind} checks on {Color} at {Revision} failed to run", run.Kind.Label(), run.Color.Label(), run.Revision);
        }

        List<Run> dispatched;
        var stored = false;
        lock (_gate)
        {
            _executing--;
            if (--_executingIn[run.Key.Namespace] == 0)
            {
                _executingIn.Remove(run.Key.Namespace);
                if (!_waiting.ContainsKey(run.Key.Namespace))
                    _lastServed.Remove(run.Key.Namespace);
            }

            if (_objects.TryGetValue(run.Uid, out var checks))
            {
                checks.InFlight.Remove(run);
                if (report is not null && checks.Epoch(run.Color) == run.Epoch)
                {
                    checks.Reports.RemoveAll(r => r.Kind == run.Kind);
                    checks.Reports.Add(new Stored(run.Kind, run.Color, report));
                    stored = true;
                }
            }

            dispatched = _stopping.IsCancellationRequested ? [] : TakeDispatchable();
        }

        run.Cancel.Dispose();
        foreach (var next in dispatched)
            _ = ExecuteAsync(next);
        if (cut && !stored)
            _logger.LogInformation("{Kind} checks on {Color} at {Revision} stopped at the stage's deadline or because the colour changed", run.Kind.Label(), run.Color.Label(), run.Revision);
        if (stored || cut)
            _wake(run.Key);
    }

    /// <summary>A run cancelled before it got a slot leaves the queue at once (one that holds a slot ends in <see cref="ExecuteAsync"/>).</summary>
    void Withdraw(Run run)
    {
        var withdrawn = false;
        lock (_gate)
        {
            if (!run.Started && _waiting.TryGetValue(run.Key.Namespace, out var queue) && queue.Contains(run))
            {
                var rest = queue.Where(r => r != run).ToList();
                queue.Clear();
                foreach (var other in rest)
                    queue.Enqueue(other);
                if (queue.Count == 0)
                    Drained(run.Key.Namespace);
                if (_objects.TryGetValue(run.Uid, out var checks))
                    checks.InFlight.Remove(run);
                withdrawn = true;
            }
        }

        if (!withdrawn)
            return;

        // This runs inside the token's own cancellation: dispose it afterwards.
        _ = Task.Run(run.Cancel.Dispose);
        if (!_stopping.IsCancellationRequested)
            _wake(run.Key);
    }

    void Enqueue(Run run)
    {
        if (!_waiting.TryGetValue(run.Key.Namespace, out var queue))
            _waiting[run.Key.Namespace] = queue = new Queue<Run>();
        queue.Enqueue(run);
    }

    /// <summary>Hands free slots out: each to the namespace under its share that was served least recently.</summary>
    List<Run> TakeDispatchable()
    {
        var started = new List<Run>();
        while (_executing < Slots)
        {
            string? pick = null;
            (long Served, long Waiting) best = (long.MaxValue, long.MaxValue);
            foreach (var (ns, queue) in _waiting)
            {
                if (_executingIn.GetValueOrDefault(ns) >= SlotsPerNamespace)
                    continue;
                var rank = (_lastServed.GetValueOrDefault(ns), queue.Peek().Seq);
                if (rank.CompareTo(best) < 0)
                    (pick, best) = (ns, rank);
            }

            if (pick is null)
                break;
            var next = _waiting[pick].Dequeue();
            if (_waiting[pick].Count == 0)
                Drained(pick);
            next.Started = true;
            _executing++;
            _executingIn[pick] = _executingIn.GetValueOrDefault(pick) + 1;
            _lastServed[pick] = ++_ticks;
            started.Add(next);
        }

        return started;
    }

    void Drained(string ns)
    {
        _waiting.Remove(ns);
        if (!_executingIn.ContainsKey(ns))
            _lastServed.Remove(ns);
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

    /// <summary>One run in flight; compared by reference, as two runs with the same fields are still two runs.</summary>
    sealed class Run(
        ObjectKey key,
        string uid,
        CheckKind kind,
        Color color,
        string revision,
        int epoch,
        IReadOnlyList<CheckTarget> targets,
        IReadOnlyList<CheckSpec> specs,
        CancellationTokenSource cancel,
        long seq)
    {
        public ObjectKey Key { get; } = key;

        public string Uid { get; } = uid;

        public CheckKind Kind { get; } = kind;

        public Color Color { get; } = color;

        public string Revision { get; } = revision;

        public int Epoch { get; } = epoch;

        public IReadOnlyList<CheckTarget> Targets { get; } = targets;

        public IReadOnlyList<CheckSpec> Specs { get; } = specs;

        public CancellationTokenSource Cancel { get; } = cancel;

        /// <summary>When it was started, among all runs: first come, first served within a namespace and among equals.</summary>
        public long Seq { get; } = seq;

        public CheckRunOwner? Owner { get; init; }

        public PodGates Gates { get; init; } = PodGates.None;

        public ReplayRequest? Replay { get; init; }

        /// <summary>Set under the coordinator's lock when the run takes a slot.</summary>
        public bool Started { get; set; }

        /// <summary>The span that asked for the run (the release's stage span): the run's span is its child, whichever run frees the slot.</summary>
        public System.Diagnostics.ActivityContext Parent { get; } = System.Diagnostics.Activity.Current?.Context ?? default;
    }

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
