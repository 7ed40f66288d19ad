using BlueGreenOperator.Runtime;

namespace BlueGreenOperator.Reconciliation;

/// <summary>Wakes an object's reconcile from outside the informers (a check run finished); wired to the work queue at start.</summary>
internal sealed class ReconcileTrigger
{
    Action<ObjectKey>? _target;

    public void Attach(Action<ObjectKey> target) => _target = target;

    public void Wake(ObjectKey key) => _target?.Invoke(key);
}
