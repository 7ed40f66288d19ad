using System.Text;
using k8s.Models;

namespace BlueGreenOperator.Plugin.Rendering;

/// <summary>The page of <c>kubectl bluegreen status</c>: a pure function of the object, its events and the time.</summary>
internal static class StatusView
{
    public const int EventLimit = 10;
    private const int LabelWidth = 13;

    public static string Render(BlueGreenDeployment item, IEnumerable<Corev1Event> events, DateTimeOffset now)
    {
        var output = new StringBuilder();
        var status = item.Status;

        Field(output, "Name", item.Metadata.Name);
        Field(output, "Namespace", item.Metadata.NamespaceProperty);
        Field(output, "Model", $"{item.Spec.Model.Name} {item.Spec.Model.Version} (desired)");
        var degradedReason = status?.Phase == Phase.Degraded ? PhaseMeaning.DegradedReason(item) : null;
        var phase = status?.Phase is { Length: > 0 } p ? p : "<none>";
        Field(output, "Phase", $"{phase}{(degradedReason is null ? "" : $" ({degradedReason})")}: {PhaseMeaning.Describe(item)}");
        if (!string.IsNullOrWhiteSpace(status?.Message))
        {
            Field(output, "Message", status.Message);
        }

        var actions = ActionRules.ApplicableVerbs(status);
        Field(output, "Actions", actions.Count == 0 ? "none apply now" : string.Join(", ", actions.Select(verb => $"kubectl bluegreen {verb} {item.Metadata.Name}")));
        output.Append('\n');

        WriteColours(output, status);
        Field(output, "Last switch", status?.SwitchedAt is { } switched
            ? $"{Age.Timestamp(switched)} ({Age.Since(switched, now)} ago){(status.LastSwitchMilliseconds is { } ms ? $", Service write took {ms} ms" : "")}"
            : "never");
        Field(output, "Aborted", status?.AbortedRevision is { Length: > 0 } aborted ? $"revision {aborted} (not retried until the spec changes or a retry)" : "none");
        output.Append('\n');

        WriteSmokeTests(output, status);
        WriteAnalysis(output, item, now);
        WriteConditions(output, status, now);
        WriteEvents(output, item, events, now);
        return output.ToString();
    }

    /// <summary>The most recent events about this very object, oldest first as kubectl describe shows them.</summary>
    public static IReadOnlyList<Corev1Event> RecentEvents(BlueGreenDeployment item, IEnumerable<Corev1Event> events) =>
        events
            .Where(e => e.InvolvedObject is { } o
                && o.Kind == WellKnown.Kind
                && o.Name == item.Metadata.Name
                && (o.NamespaceProperty ?? item.Metadata.NamespaceProperty) == item.Metadata.NamespaceProperty
                && (string.IsNullOrEmpty(o.Uid) || string.IsNullOrEmpty(item.Metadata.Uid) || o.Uid == item.Metadata.Uid))
            .OrderByDescending(LastSeen)
            .Take(EventLimit)
            .Reverse()
            .ToList();

    private static DateTime LastSeen(Corev1Event e) =>
        e.LastTimestamp ?? e.EventTime ?? e.FirstTimestamp ?? e.Metadata?.CreationTimestamp ?? DateTime.MinValue;

    private static string Plural(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";

    private static void Field(StringBuilder output, string label, string? value) =>
        output.Append((label + ":").PadRight(LabelWidth)).Append(' ').Append(value).Append('\n');

    private static void WriteColours(StringBuilder output, BlueGreenDeploymentStatus? status)
    {
        output.Append("Colours:\n");
        new TextTable("ROLE", "COLOR", "REVISION", "MODEL VERSION")
            .Add("active", status?.ActiveColor, status?.ActiveRevision, status?.ActiveModelVersion)
            .Add("preview", status?.PreviewColor, status?.PreviewRevision, status?.PreviewModelVersion)
            .Add("standby", status?.StandbyColor, status?.StandbyRevision, status?.StandbyModelVersion)
            .WriteTo(output, "  ");
    }

    private static void WriteSmokeTests(StringBuilder output, BlueGreenDeploymentStatus? status)
    {
        var results = status?.SmokeTests ?? [];
        if (results.Count == 0)
        {
            Field(output, "Smoke tests", "none recorded");
            return;
        }

        var failed = results.Count(r => !r.Passed);
        var tested = status?.TestedRevision is { Length: > 0 } revision ? $", revision {revision} passed on {Plural(status.TestedPods ?? 0, "pod")}" : "";
        Field(output, "Smoke tests", $"{results.Count - failed} passed, {failed} failed{tested}");
        CheckTable("TEST", results).WriteTo(output, "  ");
    }

    private static void WriteAnalysis(StringBuilder output, BlueGreenDeployment item, DateTimeOffset now)
    {
        var analysis = item.Status?.Analysis;
        if (analysis is null)
        {
            Field(output, "Analysis", item.Spec.Analysis is null ? "not configured" : "not running");
            return;
        }

        var failures = item.Spec.Analysis is { } spec
            ? $"{analysis.ConsecutiveFailures} of {spec.FailureLimit} consecutive failures that roll back"
            : Plural(analysis.ConsecutiveFailures, "consecutive failure");
        var lastRun = analysis.LastRunAt is { } at ? $", last run {Age.Since(at, now)} ago" : "";
        Field(output, "Analysis", $"{Plural(analysis.Runs, "run")}, {failures}{lastRun}");
        if (analysis.Results is { Count: > 0 } results)
        {
            CheckTable("CHECK", results).WriteTo(output, "  ");
        }
    }

    private static TextTable CheckTable(string firstColumn, IEnumerable<CheckResult> results)
    {
        var table = new TextTable(firstColumn, "POD", "RESULT", "LATENCY", "MESSAGE");
        foreach (var result in results)
        {
            table.Add(result.Name, result.FailingPods is { Count: > 0 } failing ? string.Join(",", failing) : $"{result.Pods} pods", result.Passed ? "passed" : "FAILED", result.LatencyMs is { } ms ? $"{ms}ms" : null, result.Message);
        }

        return table;
    }

    private static void WriteConditions(StringBuilder output, BlueGreenDeploymentStatus? status, DateTimeOffset now)
    {
        if (status?.Conditions is not { Count: > 0 } conditions)
        {
            Field(output, "Conditions", "none");
            return;
        }

        output.Append("Conditions:\n");
        var table = new TextTable("TYPE", "STATUS", "REASON", "AGE", "MESSAGE");
        foreach (var condition in conditions)
        {
            table.Add(condition.Type, condition.Status, condition.Reason, Age.Since(condition.LastTransitionTime, now), condition.Message);
        }

        table.WriteTo(output, "  ");
    }

    private static void WriteEvents(StringBuilder output, BlueGreenDeployment item, IEnumerable<Corev1Event> events, DateTimeOffset now)
    {
        var recent = RecentEvents(item, events);
        if (recent.Count == 0)
        {
            Field(output, "Events", "none");
            return;
        }

        output.Append("Events:\n");
        var table = new TextTable("LAST SEEN", "TYPE", "REASON", "MESSAGE");
        foreach (var e in recent)
        {
            var seen = Age.Since(LastSeen(e), now);
            table.Add(e.Count is > 1 ? $"{seen} (x{e.Count})" : seen, e.Type, e.Reason, e.Message);
        }

        table.WriteTo(output, "  ");
    }
}
