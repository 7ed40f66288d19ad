using k8s.Models;

namespace BlueGreenOperator.Rollout;

/// <summary>
/// metav1 condition bookkeeping with the semantics of apimachinery's <c>meta.SetStatusCondition</c>:
/// lastTransitionTime moves only when the status flips; reason, message and observedGeneration follow the latest.
/// </summary>
public static class StatusConditions
{
    public const string Ready = "Ready";
    public const string Progressing = "Progressing";
    public const string Degraded = "Degraded";

    public static void Set(IList<V1Condition> conditions, string type, bool status, string reason, string message, long? observedGeneration, DateTime now)
    {
        var value = status ? "True" : "False";
        var existing = conditions.FirstOrDefault(c => c.Type == type);
        if (existing is null)
        {
            conditions.Add(new V1Condition
            {
                Type = type,
                Status = value,
                Reason = reason,
                Message = message,
                ObservedGeneration = observedGeneration,
                LastTransitionTime = now,
            });
            return;
        }

        if (existing.Status != value)
        {
            existing.Status = value;
            existing.LastTransitionTime = now;
        }

        existing.Reason = reason;
        existing.Message = message;
        existing.ObservedGeneration = observedGeneration;
    }

    public static V1Condition? Find(IEnumerable<V1Condition>? conditions, string type) =>
        conditions?.FirstOrDefault(c => c.Type == type);
}
