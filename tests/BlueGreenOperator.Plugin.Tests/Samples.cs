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

    /// <summary>A check that passed on every pod, with the message the operator writes for it.</summary>
    public static CheckResult Passed(string name, int pods, long slowestMs) =>
        new() { Name = name, Passed = true, Pods = pods, LatencyMs = slowestMs, Message = $"passed on {pods} pods, slowest {slowestMs} ms" };

    /// <summary>A check that failed on <paramref name="failedPods"/> of <paramref name="pods"/> pods, the first few named.</summary>
    public static CheckResult Failed(string name, int pods, int failedPods, long slowestMs, string message, params string[] failingPods) =>
        new() { Name = name, Passed = false, Pods = pods, FailedPods = failedPods, FailingPods = failingPods, LatencyMs = slowestMs, Message = message };

    /// <summary>A query check (Prometheus): it runs once, not against pods.</summary>
    public static CheckResult Query(string name, bool passed, long latencyMs, string message) =>
        new() { Name = name, Passed = passed, LatencyMs = latencyMs, Message = message };

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
        CurrentRevision = "8f1e2a44",
        Phase = Phase.Stabilizing,
        ActiveColor = "green",
        ActiveRevision = "8f1e2a44",
        ActiveModelVersion = "2026-11-20",
        ActivePodTemplateHash = "7c9f6d5b8",
        StandbyColor = "blue",
        StandbyRevision = "6c9d5f7b",
        StandbyModelVersion = "2026-11-01",
        StandbyPodTemplateHash = "5d8b7f9c4",
        SwitchedAt = Ago(TimeSpan.FromMinutes(5)),
        LastSwitchMilliseconds = 9,
        PromotedAt = Ago(TimeSpan.FromMinutes(6)),
        SmokeTests = [Passed("ready", 2, 4), Passed("golden", 2, 41)],
        Analysis = new AnalysisStatus
        {
            Runs = 12,
            ConsecutiveFailures = 1,
            LastRunAt = Ago(TimeSpan.FromSeconds(10)),
            Results = [Query("error-rate", false, 120, "0.07 > max 0.05"), Passed("golden", 3, 52)],
        },
        Conditions =
        [
            Condition("Ready", true, "Serving", "green serves with 3 available pods", TimeSpan.FromMinutes(5)),
            Condition("Progressing", true, "Stabilizing", "Switched to green", TimeSpan.FromMinutes(9)),
            Condition("Degraded", false, "AsExpected", "No failure", TimeSpan.FromDays(2)),
        ],
        Message = "Switched to green",
    });

    /// <summary>Blue serves revision 6c9d5f7b and the spec asks for revision 8f1e2a44.</summary>
    private static BlueGreenDeploymentStatus BlueServes(BlueGreenDeploymentStatus status)
    {
        status.CurrentRevision = "8f1e2a44";
        status.ActiveColor = "blue";
        status.ActiveRevision = "6c9d5f7b";
        status.ActiveModelVersion = "2026-11-01";
        status.ActivePodTemplateHash = "5d8b7f9c4";
        return status;
    }

    private static V1Condition BlueReady => Condition("Ready", true, "Serving", "blue serves with 3 available pods", TimeSpan.FromDays(1));

    public static BlueGreenDeployment Paused() => Object(status: BlueServes(new BlueGreenDeploymentStatus
    {
        Phase = Phase.Paused,
        PreviewColor = "green",
        PreviewRevision = "8f1e2a44",
        PreviewModelVersion = "2026-11-20",
        TestedRevision = "8f1e2a44",
        TestedPods = 1,
        TestedPodTemplateHash = "7c9f6d5b8",
        SmokeTests = [Passed("golden", 1, 41)],
        Conditions =
        [
            BlueReady,
            Condition("Progressing", true, "Paused", "Waiting for promote", TimeSpan.FromMinutes(2)),
        ],
        Message = "Waiting for promote",
    }));

    public static BlueGreenDeployment RolledBack() => Object(status: BlueServes(new BlueGreenDeploymentStatus
    {
        Phase = Phase.RolledBack,
        AbortedRevision = "8f1e2a44",
        SwitchedAt = Ago(TimeSpan.FromSeconds(30)),
        LastSwitchMilliseconds = 7,
        Analysis = new AnalysisStatus
        {
            Runs = 4,
            ConsecutiveFailures = 2,
            LastRunAt = Ago(TimeSpan.FromSeconds(31)),
            Results = [Failed("golden", 3, 1, 12, "fraud-model-green-7c9f-a: output-0: got 1, want 0", "fraud-model-green-7c9f-a")],
        },
        Conditions =
        [
            BlueReady,
            Condition("Degraded", true, "RolledBack", "Analysis failed 2 times in a row; rolled back to blue", TimeSpan.FromSeconds(30)),
        ],
        Message = "Analysis failed 2 times in a row; rolled back to blue",
    }));

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

    /// <summary>A release whose smoke tests failed on 5 of 6 pods: aborted, its revision held until a spec change or retry.</summary>
    public static BlueGreenDeployment SmokeTestsFailed() => Object(status: BlueServes(new BlueGreenDeploymentStatus
    {
        Phase = Phase.Degraded,
        AbortedRevision = "8f1e2a44",
        SmokeTests =
        [
            Passed("ready", 6, 5),
            Failed("golden", 6, 5, 2380, "fraud-model-green-7c9f-a: output-0: got 1, want 0",
                "fraud-model-green-7c9f-a", "fraud-model-green-7c9f-b", "fraud-model-green-7c9f-c"),
        ],
        Conditions =
        [
            BlueReady,
            Condition("Degraded", true, "SmokeTestsFailed", "Revision 8f1e2a44 failed smoke tests on green", TimeSpan.FromMinutes(3)),
        ],
        Message = "Revision 8f1e2a44 failed smoke tests on green: golden failed on 5 of 6 pods",
    }));

    /// <summary>A release under test whose Deployment write the API server refuses (a ResourceQuota): Degraded, not switched.</summary>
    public static BlueGreenDeployment WriteRefused() => Object(status: BlueServes(new BlueGreenDeploymentStatus
    {
        Phase = Phase.Degraded,
        PreviewColor = "green",
        PreviewRevision = "8f1e2a44",
        PreviewModelVersion = "2026-11-20",
        ProgressStartedAt = Ago(TimeSpan.FromMinutes(1)),
        Conditions =
        [
            BlueReady,
            Condition("Degraded", true, "WriteRefused", RefusedQuota, TimeSpan.FromMinutes(1)),
        ],
        Message = RefusedQuota,
    }));

    public const string RefusedQuota =
        "Writing Deployment green at revision 8f1e2a44 was refused by the API server (403 Forbidden): " +
        "deployments.apps \"fraud-model-green\" is forbidden: exceeded quota: compute, requested: requests.cpu=3, used: requests.cpu=3, limited: requests.cpu=4";
}
