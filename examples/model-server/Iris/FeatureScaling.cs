using System.Runtime.CompilerServices;

namespace ModelServer.Iris;

/// <summary>Per-feature mean and standard deviation learned from the training data.</summary>
internal sealed record FeatureScaling(double[] Mean, double[] StandardDeviation)
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(ReadOnlySpan<double> features, Span<double> scaled)
    {
        for (var f = 0; f < scaled.Length; f++)
        {
            scaled[f] = (features[f] - Mean[f]) / StandardDeviation[f];
        }
    }

    public static FeatureScaling Fit(IReadOnlyList<IrisSample> samples)
    {
        var mean = new double[IrisDataSet.FeatureCount];
        var deviation = new double[IrisDataSet.FeatureCount];
        for (var f = 0; f < mean.Length; f++)
        {
            mean[f] = samples.Average(s => s.Features[f]);
            var m = mean[f];
            deviation[f] = Math.Sqrt(samples.Average(s => (s.Features[f] - m) * (s.Features[f] - m)));
        }

        return new FeatureScaling(mean, deviation);
    }
}
