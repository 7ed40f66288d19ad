using BlueGreenOperator.Api;

namespace BlueGreenOperator.Checks.Queries;

/// <summary>What analysis may ask Prometheus: queries that can be scoped to the object's namespace, not too often.</summary>
public static class PrometheusCheckRules
{
    /// <summary>Queries cost the shared Prometheus; one a second per object is more than judging a release needs.</summary>
    public const int MinIntervalSeconds = 10;

    public static void Validate(string at, AnalysisSpec analysis, string ns, List<string> errors)
    {
        var checks = analysis.Checks ?? [];
        var queries = 0;
        for (var i = 0; i < checks.Count; i++)
        {
            if (checks[i]?.Prometheus is not { } prometheus || string.IsNullOrWhiteSpace(prometheus.Query))
                continue;
            queries++;
            if (ScopedQuery.Scope(prometheus.Query, ns, out var problem) is null)
                errors.Add($"{at}.checks[{i}].prometheus.query cannot be scoped to namespace {ns}: {problem}");
        }

        if (queries > 0 && analysis.IntervalSeconds < MinIntervalSeconds)
            errors.Add($"{at}.intervalSeconds must be at least {MinIntervalSeconds} when the analysis queries Prometheus, got {analysis.IntervalSeconds}");
    }
}
