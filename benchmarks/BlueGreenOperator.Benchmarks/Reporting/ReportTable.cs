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
            Row("switch: operator lastSwitchMilliseconds", s.OperatorSwitchMs, "ms", "decision → Service write accepted (status written first)");
            Row("switch: the active Service write alone", s.ServiceWriteMs, "ms", "as the operator timed it");
            Row("switch: bare selector PATCH round trip", s.SelectorPatchMs, "ms", "same API server, from this process");
            rows.Add(["switch: decision → write / PATCH", Number(s.MedianRatio), Number(s.P95Ratio), "", "x", "median ratio, p95 ratio"]);
            rows.Add(["switch: Service write / PATCH", Number(s.ServiceWriteMedianRatio), Number(s.ServiceWriteP95Ratio), "", "x", "median ratio, p95 ratio"]);
            Row("switch: apply → selector seen by a watch", s.ApplyToSelectorSeenMs, "ms", "new pod start + smoke tests + switch");
            Row("rollout: apply → Healthy", s.ApplyToHealthySeconds, "s", "stabilization 2 s");
            Row("rollout: operator CPU", s.CpuSecondsPerRollout, "s", "user + system, apply → Healthy + 2 s");
            Row("rollout: reconciles", s.ReconcilesPerRollout, "", "apply → Healthy + 2 s");
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
            Row("API requests per rollout: GET", q.Gets, "req", "reads, list and watch included");
            Row("API requests per rollout: writes", q.Writes, "req", "POST+PUT+PATCH+DELETE");
            Row("API requests per rollout: total", q.Total, "req", string.Join(" ", q.MedianByVerb.Select(p => $"{p.Key}={Number(p.Value)}")));
        }

        if (report.Memory is { } m)
        {
            Single("operator RSS idle", m.IdleMiB, "MiB", $"no objects, after {Number(m.IdleWindowSeconds)} s; {m.IdleWindowRequests} requests meanwhile; {Split(m.IdleSplit)}");
            foreach (var point in m.Converged)
            {
                Single($"operator RSS with {point.Objects} converged objects", point.MiB, "MiB", point.NotHealthy > 0 ? $"{Split(point.Split)}; {point.NotHealthy} not Healthy" : Split(point.Split));
                Single($"requests while {point.Objects} objects converged", point.WindowRequests, "req", $"over {Number(point.WindowSeconds)} s (invariant I4: 0); {point.WindowWrites} writes; sent: {point.WindowRequestsNamed}");
            }

            foreach (var slope in m.Slopes)
                Single($"RSS slope {slope.FromObjects} → {slope.ToObjects} objects", slope.KiBPerObject, "KiB", "per object");
            Single("operator RSS peak during simultaneous rollouts", m.PeakDuringRolloutsMiB, "MiB");
            Single("operator RSS restarted over converged objects", m.RestartedMiB, "MiB", "a fresh process, 30 s after its start");
        }

        if (report.ReadinessBaseline is { } b)
        {
            Single($"baseline: {b.Deployments} plain Deployments v1 → v2, all rolled out", b.AllRolledOutSeconds, "s", "same pods, same write pace; new pod Ready, old pod gone");
            Row($"baseline: per Deployment", b.PerDeploymentSeconds, "s", $"its write → rolled out; {b.NotRolledOut.Count} not rolled out");
        }

        if (report.SimultaneousRollouts is { } f)
        {
            Single($"{f.Objects} objects: first release, all Healthy", f.FirstReleaseSeconds, "s");
            Single($"{f.Objects} simultaneous rollouts: all Healthy", f.AllHealthySeconds, "s", "from the first apply (stabilization 0)");
            Single($"{f.Objects} simultaneous rollouts / baseline", f.RatioToBaseline, "x", $"per object medians: {Number(f.PerObjectMedianRatioToBaseline)}");
            Row($"{f.Objects} simultaneous rollouts: per object", f.PerObjectSeconds, "s", $"its apply → its Healthy; {f.NotHealthy.Count} not Healthy");
            Single($"{f.Objects} simultaneous rollouts: requests per object", f.RequestsPerObject, "req", $"{Number(f.WritesPerObject)} writes, {Number(f.GetsPerObject)} GET");
            Single($"{f.Objects} simultaneous rollouts: operator CPU per rollout", f.CpuSecondsPerRollout, "s", $"{Number(f.ReconcilesPerRollout)} reconciles a rollout");
            Single($"{f.Objects} simultaneous rollouts: reconciles per second", f.ReconcilesPerSecond, "1/s", $"mean reconcile {Number(f.MeanReconcileMilliseconds)} ms");
        }

        if (report.Saturation is { } t)
        {
            Single($"restart over {t.Objects} objects: first reconcile", t.FirstReconcileSeconds, "s", "after the process started");
            Single($"restart over {t.Objects} objects: all reconciled", t.AllReconciledSeconds, "s", $"{string.Join(" ", t.RequestsUntilReconciled.ByVerb.Select(p => $"{p.Key}={p.Value}"))} meanwhile");
            Single("reconciles per second at saturation", t.ReconcilesPerSecond, "1/s", $"every key queued at once; mean reconcile {Number(t.MeanReconcileMilliseconds)} ms");
            Single($"requests while {t.Objects} objects converged after the restart", t.WindowRequests.Total, "req", $"over 20 s (invariant I4: 0); sent: {t.WindowRequests.Named}");
        }

        var header = new[] { "measure", "median", "p95", "n", "unit", "detail" };
        var widths = Enumerable.Range(0, header.Length).Select(i => rows.Append(header).Max(row => row[i].Length)).ToArray();
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"operator:       {report.OperatorProgram}");
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

    static string Split(ResidentSplit split) => $"{Number(split.AnonymousMiB)} MiB anonymous, {Number(split.FileMiB)} MiB file-backed, {Number(split.SharedMiB)} MiB shared";

    static string Number(double? value) => value switch
    {
        null => "-",
        { } v when !double.IsFinite(v) => "-",
        { } v when Math.Abs(v) >= 100 || v == Math.Round(v) => v.ToString("F0", CultureInfo.InvariantCulture),
        { } v when Math.Abs(v) >= 10 => v.ToString("F1", CultureInfo.InvariantCulture),
        { } v => v.ToString("F2", CultureInfo.InvariantCulture),
    };
}
