namespace BlueGreenOperator.Runtime;

/// <summary>What a reconcile asks of the runtime: nothing more, or to come back after a delay.</summary>
internal readonly record struct ReconcileResult(TimeSpan? RequeueDelay)
{
    public static ReconcileResult Done => default;

    public static ReconcileResult RequeueAfter(TimeSpan delay) => new(delay);
}

/// <summary>Brings one object's world one step closer to its spec. Level-based: it gets a key, never an event.</summary>
internal interface IReconciler
{
    Task<ReconcileResult> ReconcileAsync(ObjectKey key, CancellationToken cancellationToken);
}
