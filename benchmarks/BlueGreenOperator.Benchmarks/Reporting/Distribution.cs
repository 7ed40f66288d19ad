namespace BlueGreenOperator.Benchmarks.Reporting;

/// <summary>Summary of repeated measurements of one quantity (nearest-rank percentiles).</summary>
internal sealed record Distribution(int Count, double Median, double P95, double Min, double Max)
{
    public static Distribution? Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0
            ? null
            : new Distribution(sorted.Length, Percentile(sorted, 0.50), Percentile(sorted, 0.95), sorted[0], sorted[^1]);
    }

    static double Percentile(double[] sorted, double fraction) =>
        sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)];
}
