namespace BlueGreenOperator.Runtime;

/// <summary>A key handed out by <see cref="WorkQueue{T}.GetAsync"/>, or none once the queue is shut down.</summary>
internal readonly record struct WorkItem<T>(bool ShuttingDown, T Key);

/// <summary>
/// A work queue with client-go's semantics: keys waiting are de-duplicated, a key being processed is
/// never handed out twice (added meanwhile, it is marked dirty and handed out again after
/// <see cref="Done"/>), delayed adds, and rate-limited retries.
/// </summary>
internal sealed class WorkQueue<T> : IDisposable
    where T : notnull
{
    private readonly object gate = new();
    private readonly TimeProvider time;
    private readonly RetryRateLimiter<T> limiter;
    private readonly Queue<T> ready = new();
    private readonly HashSet<T> dirty = [];
    private readonly HashSet<T> processing = [];
    private readonly LinkedList<Waiter> waiters = new();
    private readonly Dictionary<T, DateTimeOffset> delayed = [];
    // Entries whose deadline no longer matches `delayed` are stale and skipped when they surface.
    private readonly PriorityQueue<T, DateTimeOffset> deadlines = new();
    private readonly ITimer timer;
    private TaskCompletionSource? drained;
    private bool shuttingDown;

    public WorkQueue(TimeProvider? time = null, RetryRateLimit? rateLimit = null)
    {
        this.time = time ?? TimeProvider.System;
        limiter = new RetryRateLimiter<T>(rateLimit ?? new RetryRateLimit(), this.time);
        timer = this.time.CreateTimer(_ => PromoteDueKeys(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Keys ready to be handed out (not counting delayed or in-progress keys).</summary>
    public int Length
    {
        get
        {
            lock (gate)
            {
                return ready.Count;
            }
        }
    }

    public bool IsShuttingDown
    {
        get
        {
            lock (gate)
            {
                return shuttingDown;
            }
        }
    }

    public void Add(T key)
    {
        lock (gate)
        {
            AddLocked(key);
        }
    }

    /// <summary>Adds the key once <paramref name="delay"/> has passed; an earlier pending deadline for the same key wins.</summary>
    public void AddAfter(T key, TimeSpan delay)
    {
        lock (gate)
        {
            if (shuttingDown)
            {
                return;
            }

            if (delay <= TimeSpan.Zero)
            {
                AddLocked(key);
                return;
            }

            var deadline = time.GetUtcNow() + delay;
            if (delayed.TryGetValue(key, out var pending) && pending <= deadline)
            {
                return;
            }

            delayed[key] = deadline;
            deadlines.Enqueue(key, deadline);
            ArmTimerLocked();
        }
    }

    /// <summary>Adds the key after its retry delay and returns that delay.</summary>
    public TimeSpan AddRateLimited(T key)
    {
        var delay = limiter.When(key);
        AddAfter(key, delay);
        return delay;
    }

    /// <summary>Clears the key's failure history so that its next retry starts from the base delay.</summary>
    public void Forget(T key) => limiter.Forget(key);

    public int NumRequeues(T key) => limiter.NumRequeues(key);

    /// <summary>Waits for a key; the caller owns it until it calls <see cref="Done"/>.</summary>
    public Task<WorkItem<T>> GetAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (gate)
        {
            if (shuttingDown)
            {
                return Task.FromResult(new WorkItem<T>(true, default!));
            }

            if (ready.TryDequeue(out var key))
            {
                StartProcessingLocked(key);
                return Task.FromResult(new WorkItem<T>(false, key));
            }

            var waiter = new Waiter();
            var node = waiters.AddLast(waiter);
            waiter.Registration = cancellationToken.UnsafeRegister(
                static (state, token) =>
                {
                    var (queue, node) = ((WorkQueue<T>, LinkedListNode<Waiter>))state!;
                    queue.CancelWaiter(node, token);
                },
                (this, node));
            return waiter.Completion.Task;
        }
    }

    /// <summary>Marks the key finished; if it was added meanwhile it becomes ready again.</summary>
    public void Done(T key)
    {
        lock (gate)
        {
            processing.Remove(key);
            if (shuttingDown)
            {
                if (processing.Count == 0)
                {
                    drained?.TrySetResult();
                }

                return;
            }

            if (dirty.Contains(key))
            {
                ReadyLocked(key);
            }
        }
    }

    /// <summary>Stops handing out keys: waiting and later <see cref="GetAsync"/> calls return no key. Keys in progress may still call <see cref="Done"/>.</summary>
    public void ShutDown()
    {
        List<Waiter> released;
        lock (gate)
        {
            if (shuttingDown)
            {
                return;
            }

            shuttingDown = true;
            timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            released = [.. waiters];
            waiters.Clear();
        }

        foreach (var waiter in released)
        {
            waiter.Registration.Unregister();
            waiter.Completion.TrySetResult(new WorkItem<T>(true, default!));
        }
    }

    /// <summary>Shuts the queue down and completes when every key handed out has been marked done.</summary>
    public Task ShutDownWithDrainAsync()
    {
        ShutDown();
        lock (gate)
        {
            if (processing.Count == 0)
            {
                return Task.CompletedTask;
            }

            drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return drained.Task;
        }
    }

    public void Dispose()
    {
        ShutDown();
        timer.Dispose();
    }

    private void AddLocked(T key)
    {
        if (shuttingDown || !dirty.Add(key))
        {
            return;
        }

        if (!processing.Contains(key))
        {
            ReadyLocked(key);
        }
    }

    private void ReadyLocked(T key)
    {
        var first = waiters.First;
        if (first is null)
        {
            ready.Enqueue(key);
            return;
        }

        waiters.RemoveFirst();
        StartProcessingLocked(key);
        first.Value.Registration.Unregister();
        // Continuations run asynchronously, so completing under the lock cannot re-enter it.
        first.Value.Completion.TrySetResult(new WorkItem<T>(false, key));
    }

    private void StartProcessingLocked(T key)
    {
        dirty.Remove(key);
        processing.Add(key);
    }

    private void CancelWaiter(LinkedListNode<Waiter> node, CancellationToken token)
    {
        lock (gate)
        {
            // A waiter already handed a key (or released by shutdown) is no longer in the list.
            if (node.List is null)
            {
                return;
            }

            waiters.Remove(node);
        }

        node.Value.Completion.TrySetCanceled(token);
    }

    private void PromoteDueKeys()
    {
        lock (gate)
        {
            if (shuttingDown)
            {
                return;
            }

            var now = time.GetUtcNow();
            while (deadlines.TryPeek(out var key, out var deadline) && deadline <= now)
            {
                deadlines.Dequeue();
                if (delayed.TryGetValue(key, out var current) && current == deadline)
                {
                    delayed.Remove(key);
                    AddLocked(key);
                }
            }

            ArmTimerLocked();
        }
    }

    private void ArmTimerLocked()
    {
        while (deadlines.TryPeek(out var key, out var deadline))
        {
            if (delayed.TryGetValue(key, out var current) && current == deadline)
            {
                var dueIn = deadline - time.GetUtcNow();
                timer.Change(dueIn > TimeSpan.Zero ? dueIn : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
                return;
            }

            deadlines.Dequeue();
        }

        timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private sealed class Waiter
    {
        public TaskCompletionSource<WorkItem<T>> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }
    }
}
