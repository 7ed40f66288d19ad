using System.Globalization;
using BlueGreenOperator.Api;

namespace BlueGreenOperator.Checks.Replay;

/// <summary>One colour's answer to one line: its outputs, or why there were none; and how long it took.</summary>
public sealed record ReplayAnswer(IReadOnlyDictionary<string, double[]>? Outputs, string? Error, double LatencyMs)
{
    public static ReplayAnswer Failed(string error, double latencyMs) => new(null, error, latencyMs);

    public bool Answered => Outputs is not null;
}

/// <summary>One line replayed: the new colour's answer, the serving colour's (null on a first release), the expected outputs.</summary>
public sealed record ReplayOutcome(ReplayLine Line, ReplayAnswer New, ReplayAnswer? Serving);

/// <summary>
/// The arithmetic of parity, pure: whether two outputs agree (exactly, within a tolerance, or on the arg-max class of
/// each row), and the report of a whole replay against the thresholds of <see cref="ReplaySpec"/>.
/// NaN and a missing output never agree with anything.
/// </summary>
public static class ParityComparison
{
    public const int ShownDisagreements = 3;
    const int ShownValues = 6;
    const int MaxEntryChars = 256;
    const int MaxMessageChars = 1024;

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/> agree under <paramref name="rule"/>.</summary>
    public static bool Agree(OutputComparisonSpec rule, double[]? a, double[]? b)
    {
        if (a is null || b is null)
            return false;
        if (rule.Mode == ComparisonModes.ArgMax)
        {
            var (rowsA, rowsB) = (ArgMaxes(a, rule.Classes), ArgMaxes(b, rule.Classes));
            return rowsA is not null && rowsB is not null && rowsA.SequenceEqual(rowsB);
        }

        if (a.Length != b.Length)
            return false;
        var tolerance = rule.Mode == ComparisonModes.Tolerance ? Math.Max(0, rule.Tolerance) : 0;
        for (var i = 0; i < a.Length; i++)
        {
            // NaN fails the comparison whatever the tolerance.
            if (!(Math.Abs(a[i] - b[i]) <= tolerance))
                return false;
        }

        return true;
    }

    /// <summary>The index of the largest value of each row of <paramref name="classes"/> values; null when a row holds NaN or the length does not divide.</summary>
    public static int[]? ArgMaxes(double[] values, int? classes)
    {
        var width = classes is > 0 ? classes.Value : values.Length;
        if (width == 0 || values.Length % width != 0)
            return null;
        var rows = new int[values.Length / width];
        for (var r = 0; r < rows.Length; r++)
        {
            var best = r * width;
            for (var i = best; i < (r + 1) * width; i++)
            {
                if (double.IsNaN(values[i]))
                    return null;
                if (values[i] > values[best])
                    best = i;
            }

            rows[r] = best - (r * width);
        }

        return rows;
    }

    /// <summary>The rules that apply to a pair of answers: the spec's, or every output either answered, exactly.</summary>
    public static IReadOnlyList<OutputComparisonSpec> Rules(ReplaySpec spec, params IReadOnlyDictionary<string, double[]>?[] answers) =>
        spec.Compare is { Count: > 0 } rules
            ? [.. rules]
            : [.. answers.Where(a => a is not null).SelectMany(a => a!.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
                .Select(name => new OutputComparisonSpec { Output = name })];

    /// <summary>Whether every compared output of the two answers agrees.</summary>
    public static bool AgreeAll(ReplaySpec spec, IReadOnlyDictionary<string, double[]> a, IReadOnlyDictionary<string, double[]> b) =>
        Rules(spec, a, b).All(rule => Agree(rule, a.GetValueOrDefault(rule.Output), b.GetValueOrDefault(rule.Output)));

    /// <summary>Whether an answer matches every expected output (by the rule of that output, exactly when it has none).</summary>
    public static bool Correct(ReplaySpec spec, ReplayAnswer answer, IReadOnlyDictionary<string, double[]> expected) =>
        answer.Outputs is { } outputs
        && expected.All(e => Agree(RuleFor(spec, e.Key), outputs.GetValueOrDefault(e.Key), e.Value));

    /// <summary>The report of one replay against the thresholds; <paramref name="servingRevision"/> null: nothing serves (first release).</summary>
    public static ParityStatus Evaluate(ReplaySpec spec, IReadOnlyList<ReplayOutcome> outcomes, string revision, string? podTemplateHash, string? servingRevision)
    {
        var report = new ParityStatus { Revision = revision, PodTemplateHash = podTemplateHash, ServingRevision = servingRevision, Requests = outcomes.Count };
        if (outcomes.Count == 0)
        {
            report.Message = "the replay sent no request: the data set is empty";
            return report;
        }

        var parity = servingRevision is not null;
        var failures = new List<string>();
        var shown = new List<string>();
        var newErrors = outcomes.Count(o => !o.New.Answered);
        report.ErrorRate = Rate(newErrors, outcomes.Count);
        (report.LatencyP50Ms, report.LatencyP95Ms) = (Percentile(outcomes, o => o.New, 0.50), Percentile(outcomes, o => o.New, 0.95));

        // Agreement, over the lines both colours answered.
        var disagreeing = new List<ReplayOutcome>();
        if (parity)
        {
            var both = outcomes.Where(o => o.New.Answered && o.Serving?.Answered == true).ToList();
            disagreeing = [.. both.Where(o => !AgreeAll(spec, o.New.Outputs!, o.Serving!.Outputs!))];
            report.Compared = both.Count;
            report.Disagreements = disagreeing.Count;
            report.Agreement = both.Count == 0 ? null : Rate(both.Count - disagreeing.Count, both.Count);
            report.ServingErrorRate = Rate(outcomes.Count(o => o.Serving?.Answered != true), outcomes.Count);
            (report.ServingLatencyP50Ms, report.ServingLatencyP95Ms) = (Percentile(outcomes, o => o.Serving, 0.50), Percentile(outcomes, o => o.Serving, 0.95));
            if (spec.MinAgreement is { } minimum)
            {
                if (report.Agreement is not { } agreement)
                    failures.Add($"no line was answered by both colours, agreement cannot be measured (min {Percent(minimum)})");
                else if (agreement < minimum)
                    failures.Add($"agreement {Percent(agreement)} < {Percent(minimum)} on {both.Count} requests; {disagreeing.Count} disagreements{First(disagreeing)}");
            }
        }

        // Accuracy, over the lines that carry expected outputs; a failed answer is a wrong one.
        var labelled = outcomes.Where(o => o.Line.Expected is { Count: > 0 }).ToList();
        report.Labelled = labelled.Count;
        var wrong = labelled.Where(o => !Correct(spec, o.New, o.Line.Expected!)).ToList();
        if (labelled.Count > 0)
        {
            report.Accuracy = Rate(labelled.Count - wrong.Count, labelled.Count);
            if (parity)
                report.ServingAccuracy = Rate(labelled.Count(o => o.Serving is { } s && Correct(spec, s, o.Line.Expected!)), labelled.Count);
            if (spec.MinAccuracy is { } floor && report.Accuracy < floor)
                failures.Add($"accuracy {Percent(report.Accuracy.Value)} < {Percent(floor)} on {labelled.Count} labelled requests; {wrong.Count} wrong{First(wrong)}");
            if (parity && spec.MaxAccuracyDrop is { } drop && report.ServingAccuracy - report.Accuracy > drop + 1e-12)
                failures.Add($"accuracy {Percent(report.Accuracy.Value)} vs serving {Percent(report.ServingAccuracy!.Value)}: a drop of {Percent(report.ServingAccuracy!.Value - report.Accuracy.Value)} > {Percent(drop)}{First(wrong)}");
        }
        else if (spec.MinAccuracy is not null || (parity && spec.MaxAccuracyDrop is not null))
        {
            failures.Add("accuracy cannot be measured: no line of the data set carries an expected output");
        }

        if (report.ErrorRate > spec.MaxErrorRate + 1e-12)
            failures.Add($"error rate {Percent(report.ErrorRate.Value)} > {Percent(spec.MaxErrorRate)}: {newErrors} of {outcomes.Count} requests failed{First(outcomes.Where(o => !o.New.Answered))}");

        if (parity && report.LatencyP95Ms is { } p95 && report.ServingLatencyP95Ms is { } servingP95)
        {
            var floor = Math.Max(1, spec.LatencyFloorMs);
            report.LatencyRatio = Math.Round(Math.Max(p95, floor) / Math.Max(servingP95, floor), 2);
            if (spec.MaxLatencyRatio is { } ratio && report.LatencyRatio > ratio)
                failures.Add($"p95 latency {Ms(p95)} vs serving {Ms(servingP95)}: ratio {Number(report.LatencyRatio.Value)} > {Number(ratio)} (p50 {Ms(report.LatencyP50Ms!.Value)} vs {Ms(report.ServingLatencyP50Ms!.Value)})");
        }

        foreach (var outcome in disagreeing.Concat(wrong).Concat(outcomes.Where(o => !o.New.Answered)).DistinctBy(o => o.Line.Number).OrderBy(o => o.Line.Number).Take(ShownDisagreements))
            shown.Add(Describe(spec, outcome));
        report.FirstDisagreements = shown.Count > 0 ? shown : null;
        report.Passed = failures.Count == 0;
        report.Message = Bound(report.Passed ? Summary(report, parity) : string.Join("; ", failures), MaxMessageChars);
        return report;
    }

    /// <summary>A short account of a passing replay, the numbers a reader compares.</summary>
    static string Summary(ParityStatus r, bool parity)
    {
        var parts = new List<string>();
        if (parity && r.Agreement is { } agreement)
            parts.Add($"agreement {Percent(agreement)} on {r.Compared} requests ({r.Disagreements} disagreements)");
        else if (!parity)
            parts.Add($"{r.Requests} requests, nothing serving to compare with");
        if (r.Accuracy is { } accuracy)
            parts.Add(parity && r.ServingAccuracy is { } serving ? $"accuracy {Percent(accuracy)} vs serving {Percent(serving)}" : $"accuracy {Percent(accuracy)}");
        parts.Add($"error rate {Percent(r.ErrorRate ?? 0)}");
        if (r.LatencyP95Ms is { } p95)
            parts.Add(parity && r.ServingLatencyP95Ms is { } s ? $"p95 {Ms(p95)} vs {Ms(s)} (ratio {Number(r.LatencyRatio ?? 0)})" : $"p95 {Ms(p95)}");
        return string.Join("; ", parts);
    }

    static string First(IEnumerable<ReplayOutcome> outcomes) =>
        outcomes.OrderBy(o => o.Line.Number).FirstOrDefault() is { } first ? $", first: line {first.Line.Number}" : "";

    /// <summary>"line 71: new output-0 [1]; serving output-0 [2]; expected output-0 [1]" (or the error).</summary>
    static string Describe(ReplaySpec spec, ReplayOutcome outcome)
    {
        var rules = Rules(spec, outcome.New.Outputs, outcome.Serving?.Outputs, outcome.Line.Expected);
        var parts = new List<string> { $"new {Show(rules, outcome.New)}" };
        if (outcome.Serving is { } serving)
            parts.Add($"serving {Show(rules, serving)}");
        if (outcome.Line.Expected is { } expected)
            parts.Add($"expected {string.Join(" ", expected.Select(e => $"{e.Key} {Values(e.Value)}"))}");
        return Bound($"line {outcome.Line.Number}: {string.Join("; ", parts)}", MaxEntryChars);
    }

    static string Show(IReadOnlyList<OutputComparisonSpec> rules, ReplayAnswer answer) =>
        answer.Outputs is { } outputs
            ? string.Join(" ", rules.Select(r => $"{r.Output} {(outputs.TryGetValue(r.Output, out var v) ? Values(v) : "(missing)")}"))
            : $"failed: {answer.Error}";

    static string Values(double[] values)
    {
        var shown = string.Join(", ", values.Take(ShownValues).Select(v => Number(Math.Round(v, 4))));
        return values.Length > ShownValues ? $"[{shown}, … {values.Length - ShownValues} more]" : $"[{shown}]";
    }

    static OutputComparisonSpec RuleFor(ReplaySpec spec, string output) =>
        spec.Compare?.FirstOrDefault(r => r.Output == output) ?? new OutputComparisonSpec { Output = output };

    /// <summary>Nearest-rank percentile of the answered requests' latencies.</summary>
    static double? Percentile(IReadOnlyList<ReplayOutcome> outcomes, Func<ReplayOutcome, ReplayAnswer?> side, double p)
    {
        var latencies = outcomes.Select(side).Where(a => a is { Answered: true }).Select(a => a!.LatencyMs).Order().ToList();
        if (latencies.Count == 0)
            return null;
        var rank = (int)Math.Ceiling(p * latencies.Count);
        return Math.Round(latencies[Math.Clamp(rank - 1, 0, latencies.Count - 1)], 1);
    }

    static double Rate(int part, int whole) => Math.Round((double)part / whole, 4);

    static string Percent(double rate) => (rate * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %";

    static string Ms(double ms) => ms.ToString("0.#", CultureInfo.InvariantCulture) + " ms";

    static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);

    static string Bound(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
