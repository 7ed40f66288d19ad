using k8s.Models;

namespace BlueGreenOperator.Plugin.Tests;

/// <summary>BlueGreenDeployments as the operator leaves them in each phase, at a fixed moment.</summary>
internal static class Samples
{
    public static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    public static DateTime Ago(TimeSpan span) => (Now - span).UtcDateTime;

    public static BlueGreenDeployment Object(string name = "fraud-model", string ns = "ml", BlueGreenDeploymentStatus? status = null) => new()
    {
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = ns,
            Uid = "0f5d6c1e-uid-" + name,
            CreationTimestamp = Ago(TimeSpan.FromDays(2)),
            ResourceVersion = "4711",
        },
        Spec = new BlueGreenDeploymentSpec
        {
            Replicas = 3,
            Model = new ModelSpec { Name = "fraud-detector", Version = "2026-11-20" },
            Analysis = new AnalysisSpec { FailureLimit = 2 },
        },
        Status = status,
    };

    public static V1Condition Condition(string type, bool status, string reason, string message, TimeSpan age) => new()
    {
        Type = type,
        Status = status ? "True" : "False",
        Reason = reason,
        Message = message,
        LastTransitionTime = Ago(age),
    };

    public static CheckResult Result(string name, string pod, bool passed, long latencyMs, string? message = null) =>
        new() { Name = name, Pod = pod, Passed = passed, LatencyMs = latencyMs, Message = message };

    public static Corev1Event Event(BlueGreenDeployment about, string reason, string message, TimeSpan age, string type = "Normal", int count = 1) => new()
    {
        Metadata = new V1ObjectMeta { Name = $"{about.Metadata.Name}.{reason}.{age.TotalSeconds}", NamespaceProperty = about.Metadata.NamespaceProperty },
        InvolvedObject = new V1ObjectReference
        {
            Kind = WellKnown.Kind,
            ApiVersion = WellKnown.ApiVersion,
            Name = about.Metadata.Name,
            NamespaceProperty = about.Metadata.NamespaceProperty,
            Uid = about.Metadata.Uid,
        },
        Reason = reason,
        Message = message,
        Type = type,
        Count = count,
        LastTimestamp = Ago(age),
    };

    public static BlueGreenDeployment Stabilizing() => Object(status: new BlueGreenDeploymentStatus
    {
        Phase = Phase.Stabilizing,
        ActiveColor = "green",
        ActiveRevision = "8f1e2a44",
        ActiveModelVersion = "2026-11-20",
        StandbyColor = "blue",
        StandbyRevision = "6c9d5f7b",
        StandbyModelVersion = "2026-11-01",
        TestedRevision = "8f1e2a44",
        TestedPods = 2,
        SwitchedAt = Ago(TimeSpan.FromMinutes(5)),
        LastSwitchMilliseconds = 9,
        SmokeTests =
        [
            Result("ready", "fraud-model-green-7c9f-a", true, 3),
            Result("golden", "fraud-model-green-7c9f-a", true, 41),
            Result("ready", "fraud-model-green-7c9f-b", true, 4),
            Result("golden", "fraud-model-green-7c9f-b", true, 38),
        ],
        Analysis = new AnalysisStatus
        {
            Runs = 12,
            ConsecutiveFailures = 1,
            LastRunAt = Ago(TimeSpan.FromSeconds(10)),
            Results = [Result("error-rate", null!, false, 120, "0.07 > max 0.05")],
        },
        Conditions =
        [
            Condition("Ready", true, "Serving", "green serves with 3 available pods", TimeSpan.FromMinutes(5)),
            Condition("Progressing", true, "Stabilizing", "Switched to green", TimeSpan.FromMinutes(9)),
            Condition("Degraded", false, "AsExpected", "No failure", TimeSpan.FromDays(2)),
        ],
        Message = "Switched to green",
    });

    public static BlueGreenDeployment Paused() => Object(status: new BlueGreenDeploymentStatus
    {
        Phase = Phase.Paused,
        ActiveColor = "blue",
        ActiveRevision = "6c9d5f7b",
        ActiveModelVersion = "2026-11-01",
        PreviewColor = "green",
        PreviewRevision = "8f1e2a44",
        PreviewModelVersion = "2026-11-20",
        TestedRevision = "8f1e2a44",
        TestedPods = 1,
        SmokeTests = [Result("golden", "fraud-model-green-7c9f-a", true, 41)],
        Conditions =
        [
            Condition("Ready", true, "Serving", "blue serves with 3 available pods", TimeSpan.FromDays(1)),
            Condition("Progressing", true, "Paused", "Waiting for promote", TimeSpan.FromMinutes(2)),
        ],
        Message = "Waiting for promote",
    });

    public static BlueGreenDeployment RolledBack() => Object(status: new BlueGreenDeploymentStatus
    {
        Phase = Phase.RolledBack,
        ActiveColor = "blue",
        ActiveRevision = "6c9d5f7b",
        ActiveModelVersion = "2026-11-01",
        AbortedRevision = "8f1e2a44",
        SwitchedAt = Ago(TimeSpan.FromSeconds(30)),
        LastSwitchMilliseconds = 7,
        Analysis = new AnalysisStatus
        {
            Runs = 4,
            ConsecutiveFailures = 2,
            LastRunAt = Ago(TimeSpan.FromSeconds(31)),
            Results = [Result("golden", "fraud-model-green-7c9f-a", false, 12, "output-0: got 1, want 0")],
        },
        Conditions =
        [
            Condition("Ready", true, "Serving", "blue serves with 1 available pods", TimeSpan.FromDays(1)),
            Condition("Degraded", true, "RolledBack", "Analysis failed 2 times in a row; rolled back to blue", TimeSpan.FromSeconds(30)),
        ],
        Message = "Analysis failed 2 times in a row; rolled back to blue",
    });

    public static BlueGreenDeployment InvalidSpec() => Object(status: new BlueGreenDeploymentStatus
    {
        Phase = Phase.Degraded,
        Conditions =
        [
            Condition("Ready", false, "NotServing", "No available pod serves yet", TimeSpan.FromMinutes(1)),
            Condition("Degraded", true, "InvalidSpec", "Invalid spec: strategy.standbyReplicas (5) must not exceed replicas (3)", TimeSpan.FromMinutes(1)),
        ],
        Message = "Invalid spec: strategy.standbyReplicas (5) must not exceed replicas (3)",
    });
}
