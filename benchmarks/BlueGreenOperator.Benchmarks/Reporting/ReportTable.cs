using System.Globalization;
using System.Text;

namespace BlueGreenOperator.Benchmarks.Reporting;

/// <summary>The report as a fixed-width text table: one row a number, median and p95 side by side where there are several samples.</summary>
internal static class ReportTable
{
    public static string Render(BenchmarkReport report)
    {
        var rows = new List<string[]>();
        void Row(string measure, Distribution? d, string unit, string detail = "") =>
            rows.Add([measure, Number(d?.Median), Number(d?.P95), d?.Count.ToString(CultureInfo.InvariantCulture) ?? "-", unit, detail]);
        void Single(string measure, double? value, string unit, string detail = "") =>
            rows.Add([measure, Number(value), "", value is null ? "-" : "1", unit, detail]);

        if (report.Switch is { } s)
        {
            Row("switch: operator lastSwitchMilliseconds", s.OperatorSwitchMs, "ms", "decision → Service write accepted");
            Row("switch: bare selector PATCH round trip", s.SelectorPatchMs, "ms", "same API server, from this process");
            rows.Add(["switch: operator / PATCH", Number(s.MedianRatio), Number(s.P95Ratio), "", "x", "median ratio, p95 ratio"]);
            Row("switch: apply → selector seen by a watch", s.ApplyToSelectorSeenMs, "ms", "new pod start + smoke tests + switch");
            Row("rollout: apply → Healthy", s.ApplyToHealthySeconds, "s", "stabilization 2 s");
        }

        if (report.Rollback is { } r)
        {
            Row("rollback action: lastSwitchMilliseconds", r.ManualSwitchMs, "ms", "during Stabilizing, warm standby");
            Row("rollback action: annotation write → selector seen", r.ActionToSelectorSeenMs, "ms", "wall time, watch on the Service");
            Row("rollback action: annotation PATCH round trip", r.ActionWriteMs, "ms");
            if (r.Automatic is { } a)
            {
                Single("analysis rollback: lastSwitchMilliseconds", a.SwitchMilliseconds, "ms");
                Single("analysis rollback: bad release served", a.BadReleaseServedSeconds, "s", $"interval {a.IntervalSeconds} s, failureLimit {a.FailureLimit}");
            }
        }

        if (report.ApiRequestsPerRollout is { } q)
        {
            Row("API requests per rollout: writes", q.Writes, "req", "POST+PUT+PATCH+DELETE");
            Row("API requests per rollout: reads", q.Reads, "req", "GET+LIST+WATCH");
            Row("API requests per rollout: total", q.Total, "req", string.Join(" ", q.MedianByVerb.Select(p => $"{p.Key}={Number(p.Value)}")));
        }

        if (report.Memory is { } m)
        {
            Single("operator RSS idle", m.IdleMiB, "MiB", $"no objects, after {Number(m.IdleWindowSeconds)} s; {m.IdleWindowRequests} requests meanwhile");
            Single($"operator RSS with {m.Objects} converged objects", m.ConvergedMiB, "MiB", m.PerObjectKiB is { } k ? $"{Number(k)} KiB per object over idle" : "");
            Single($"writes while {m.Objects} objects converged", m.ConvergedWindowWrites, "req", $"over {Number(m.ConvergedWindowSeconds)} s (invariant I4: 0)");
            Single("operator RSS peak during simultaneous rollouts", m.PeakDuringRolloutsMiB, "MiB");
        }

        if (report.SimultaneousRollouts is { } f)
        {
            Single($"{f.Objects} objects: first release, all Healthy", f.FirstReleaseSeconds, "s");
            Single($"{f.Objects} simultaneous rollouts: all Healthy", f.AllHealthySeconds, "s", "from the first apply");
            Row($"{f.Objects} simultaneous rollouts: per object", f.PerObjectSeconds, "s", $"its apply → its Healthy; {f.NotHealthy.Count} not Healthy");
            Single($"{f.Objects} simultaneous rollouts: writes per object", f.WritesPerObject, "req", $"all requests per object {Number(f.RequestsPerObject)}");
        }

        var header = new[] { "measure", "median", "p95", "n", "unit", "detail" };
        var widths = Enumerable.Range(0, header.Length).Select(i => rows.Append(header).Max(row => row[i].Length)).ToArray();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"machine before: {report.MachineBefore.Describe()}");
        if (report.MachineAfter is { } after)
            text.AppendLine(CultureInfo.InvariantCulture, $"machine after:  {after.Describe()}");
        foreach (var row in rows.Prepend(header))
        {
            text.AppendLine(string.Join("  ", row.Select((cell, i) => i is 1 or 2 or 3 ? cell.PadLeft(widths[i]) : cell.PadRight(widths[i]))).TrimEnd());
        }

        foreach (var failure in report.Failures)
            text.AppendLine(CultureInfo.InvariantCulture, $"FAILED {failure.Stage}: {failure.Error}");
        return text.ToString();
    }

    static string Number(double? value) => value switch
    {
        null => "-",
        { } v when !double.IsFinite(v) => "-",
        { } v when Math.Abs(v) >= 100 || v == Math.Round(v) => v.ToString("F0", CultureInfo.InvariantCulture),
        { } v when Math.Abs(v) >= 10 => v.ToString("F1", CultureInfo.InvariantCulture),
        { } v => v.ToString("F2", CultureInfo.InvariantCulture),
    };
}
