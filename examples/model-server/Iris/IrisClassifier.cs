using System.Runtime.CompilerServices;

namespace ModelServer.Iris;

/// <summary>A trained model: class probabilities for one flower's four features.</summary>
internal interface IIrisClassifier
{
    double[] Probabilities(ReadOnlySpan<double> features);
}

internal static class IrisClassifierExtensions
{
    public static int Predict(this IIrisClassifier classifier, ReadOnlySpan<double> features) =>
        ArgMax(classifier.Probabilities(features));

    public static double Accuracy(this IIrisClassifier classifier, IReadOnlyList<IrisSample> samples) =>
        samples.Count(s => classifier.Predict(s.Features) == s.Species) / (double)samples.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int ArgMax(ReadOnlySpan<double> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>Softmax in place, shifted by the maximum so large logits do not overflow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Softmax(Span<double> logits)
    {
        var max = double.NegativeInfinity;
        foreach (var l in logits)
        {
            max = Math.Max(max, l);
        }

        var sum = 0.0;
        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] = Math.Exp(logits[i] - max);
            sum += logits[i];
        }

        for (var i = 0; i < logits.Length; i++)
        {
            logits[i] /= sum;
        }
    }
}
