using System.Globalization;
using System.Text;
using k8s.Models;

namespace BlueGreenOperator.Plugin.Rendering;

/// <summary>The page of <c>kubectl bluegreen status</c>: a pure function of the object, its events and the time.</summary>
internal static class StatusView
{
    public const int EventLimit = 10;
    private const int LabelWidth = 13;
    private const int ParityLinesShown = 3;

    public static string Render(BlueGreenDeployment item, IEnumerable<Corev1Event> events, DateTimeOffset now)
    {
        var output = new StringBuilder();
        var status = item.Status;

        Field(output, "Name", item.Metadata.Name);
        Field(output, "Namespace", item.Metadata.NamespaceProperty);
        var revision = status?.CurrentRevision is { Length: > 0 } current ? $", revision {current}" : "";
        Field(output, "Model", $"{item.Spec.Model.Name} {item.Spec.Model.Version} (desired{revision})");
        var degradedReason = status?.Phase == Phase.Degraded ? PhaseMeaning.DegradedReason(item) : null;
        var phase = status?.Phase is { Length: > 0 } p ? p : "<none>";
        Field(output, "Phase", $"{phase}{(degradedReason is null ? "" : $" ({degradedReason})")}: {PhaseMeaning.Describe(item)}");
        if (!string.IsNullOrWhiteSpace(status?.Message))
        {
            Field(output, "Message", status.Message);
        }

        if (PhaseMeaning.Reason(item) is { } meaning)
        {
            Field(output, "What to do", meaning.ToDo(item.Metadata.Name));
        }

        var actions = ActionTable.Applicable(status);
        Field(output, "Actions", actions.Count == 0 ? "none apply now" : string.Join(", ", actions.Select(verb => $"kubectl bluegreen {verb} {item.Metadata.Name}")));
        output.Append('\n');

        WriteColours(output, status);
        Field(output, "Last switch", status?.SwitchedAt is { } switched
            ? $"{Age.Timestamp(switched)} ({Age.Since(switched, now)} ago){(status.LastSwitchMilliseconds is { } ms ? $", Service write took {ms} ms" : "")}"
            : "never");
        if (status?.PromotedAt is { } promoted)
        {
            Field(output, "Promoted", $"{Age.Timestamp(promoted)} ({Age.Since(promoted, now)} ago)");
        }

        Field(output, "Aborted", Aborted(status));
        output.Append('\n');

        WriteSmokeTests(output, status);
        WriteParity(output, status?.Parity);
        WriteAnalysis(output, item, now);
        WriteConditions(output, status, now);
        WriteEvents(output, item, events, now);
        return output.ToString();
    }

    /// <summary>The most recent events about this very object, oldest first as kubectl describe shows them.</summary>
    public static IReadOnlyList<Corev1Event> RecentEvents(BlueGreenDeployment item, IEnumerable<Corev1Event> events, int limit = EventLimit) =>
        events
            .Where(e => e.InvolvedObject is { } o
                && o.Kind == WellKnown.Kind
                && o.Name == item.Metadata.Name
                && (o.NamespaceProperty ?? item.Metadata.NamespaceProperty) == item.Metadata.NamespaceProperty
                && (string.IsNullOrEmpty(o.Uid) || string.IsNullOrEmpty(item.Metadata.Uid) || o.Uid == item.Metadata.Uid))
            .OrderByDescending(LastSeen)
            .Take(limit)
            .Reverse()
            .ToList();

    public static DateTime LastSeen(Corev1Event e) =>
        e.LastTimestamp ?? e.EventTime ?? e.FirstTimestamp ?? e.Metadata?.CreationTimestamp ?? DateTime.MinValue;

    private static string Plural(int count, string noun) => $"{count} {noun}{(count == 1 ? "" : "s")}";

    private static void Field(StringBuilder output, string label, string? value) =>
        output.Append((label + ":").PadRight(LabelWidth)).Append(' ').Append(value).Append('\n');

    private static string Aborted(BlueGreenDeploymentStatus? status) => status?.AbortedRevision is not { Length: > 0 } aborted
        ? "none"
        : status.CurrentRevision is not { Length: > 0 } current ? $"revision {aborted} (not released again until the spec changes or a retry)"
        : current == aborted ? $"revision {aborted}, which the spec asks for: held until the spec changes or a retry"
        : $"revision {aborted}; the spec has moved on to revision {current}";

    /// <summary>The pod-template-hash column: the pods the active Service selects, the tested pods, the standby's pods.</summary>
    private static void WriteColours(StringBuilder output, BlueGreenDeploymentStatus? status)
    {
        var tested = status?.TestedRevision is { Length: > 0 } revision && revision == status.PreviewRevision ? status.TestedPodTemplateHash : null;
        output.Append("Colours:\n");
        new TextTable("ROLE", "COLOR", "REVISION", "MODEL VERSION", "POD TEMPLATE")
            .Add("active", status?.ActiveColor, status?.ActiveRevision, status?.ActiveModelVersion, status?.ActivePodTemplateHash)
            .Add("preview", status?.PreviewColor, status?.PreviewRevision, status?.PreviewModelVersion, tested)
            .Add("standby", status?.StandbyColor, status?.StandbyRevision, status?.StandbyModelVersion, status?.StandbyPodTemplateHash)
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

        var tested = status?.TestedRevision is { Length: > 0 } revision ? $", revision {revision} passed on {Plural(status.TestedPods ?? 0, "pod")}" : "";
        Field(output, "Smoke tests", Passed(results) + tested);
        CheckTable(results).WriteTo(output, "  ");
    }

    /// <summary>The replay's parity report, when the object has one: outcome, what was compared, and each measure beside the serving colour's.</summary>
    private static void WriteParity(StringBuilder output, ParityStatus? parity)
    {
        if (parity is null)
        {
            return;
        }

        var against = parity.ServingRevision is { Length: > 0 } serving
            ? $" against revision {serving} ({parity.ServingColor ?? "?"})"
            : " (first release: nothing served to compare with)";
        var when = parity.AfterSwitch ? ", after the switch" : "";
        Field(output, "Parity", $"{(parity.Passed ? "passed" : "FAILED")}: revision {parity.Revision} ({parity.Color ?? "?"}){against}{when}");
        var table = new TextTable("MEASURE", "REPLAYED", "COMPARED WITH");
        table.Add("requests", $"{parity.Requests} ({parity.Compared} compared, {parity.Disagreements} disagreeing)", "");
        table.Add("agreement", Percent(parity.Agreement), "");
        table.Add("accuracy", parity.Labelled > 0 ? $"{Percent(parity.Accuracy)} of {parity.Labelled} labelled" : "no expected outputs", Percent(parity.ServingAccuracy));
        table.Add("errors", Percent(parity.ErrorRate), Percent(parity.ServingErrorRate));
        table.Add("latency p50", Milliseconds(parity.LatencyP50Ms), Milliseconds(parity.ServingLatencyP50Ms));
        table.Add("latency p95", Milliseconds(parity.LatencyP95Ms) + (parity.LatencyRatio is { } ratio ? $" (ratio {ratio.ToString("0.##", CultureInfo.InvariantCulture)})" : ""), Milliseconds(parity.ServingLatencyP95Ms));
        table.WriteTo(output, "  ");
        if (parity.Message is { Length: > 0 } message)
        {
            output.Append("  ").Append(message).Append('\n');
        }

        foreach (var line in (parity.FirstDisagreements ?? []).Take(ParityLinesShown))
        {
            output.Append("  - ").Append(line).Append('\n');
        }
    }

    private static string Percent(double? share) => share is { } value ? (value * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %" : "-";

    private static string Milliseconds(double? ms) => ms is { } value ? value.ToString("0.#", CultureInfo.InvariantCulture) + " ms" : "-";

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
            CheckTable(results).WriteTo(output, "  ");
        }
    }

    private static string Passed(IList<CheckResult> results) =>
        $"{results.Count(r => r.Passed)} of {Plural(results.Count, "check")} passed";

    /// <summary>One row per check, as the operator records them: over how many pods it passed, the slowest attempt, the first failing pods.</summary>
    private static TextTable CheckTable(IEnumerable<CheckResult> results)
    {
        var table = new TextTable("CHECK", "PASSED", "RESULT", "SLOWEST", "FAILING PODS", "MESSAGE");
        foreach (var result in results)
        {
            // A query (Prometheus) runs once, not per pod.
            var passedPods = result.Pods > 0 ? $"{result.Pods - result.FailedPods}/{Plural(result.Pods, "pod")}" : null;
            table.Add(result.Name, passedPods, result.Passed ? "passed" : "FAILED", result.LatencyMs is { } ms ? $"{ms}ms" : null, FailingPods(result), result.Message);
        }

        return table;
    }

    private static string? FailingPods(CheckResult result)
    {
        var named = result.FailingPods ?? [];
        var unnamed = result.FailedPods - named.Count;
        return named.Count == 0
            ? unnamed > 0 ? Plural(unnamed, "pod") : null
            : string.Join(", ", named) + (unnamed > 0 ? $" (+{unnamed} more)" : "");
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
