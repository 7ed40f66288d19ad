using System.Runtime.CompilerServices;

namespace ModelServer.Iris;

/// <summary>Multinomial logistic regression on the raw features, trained by full-batch gradient descent.</summary>
internal sealed class SoftmaxRegression(double[,] weights, double[] bias) : IIrisClassifier
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double[] Probabilities(ReadOnlySpan<double> features)
    {
        var logits = new double[IrisDataSet.ClassCount];
        for (var c = 0; c < logits.Length; c++)
        {
            logits[c] = bias[c];
            for (var f = 0; f < IrisDataSet.FeatureCount; f++)
            {
                logits[c] += weights[c, f] * features[f];
            }
        }

        IrisClassifierExtensions.Softmax(logits);
        return logits;
    }

    // Runs once per pod start: compile optimized at once instead of interpreting-quality tier-0 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SoftmaxRegression Train(IReadOnlyList<IrisSample> samples, int epochs, double learningRate, double l2)
    {
        var weights = new double[IrisDataSet.ClassCount, IrisDataSet.FeatureCount];
        var bias = new double[IrisDataSet.ClassCount];
        var weightGradient = new double[IrisDataSet.ClassCount, IrisDataSet.FeatureCount];
        var biasGradient = new double[IrisDataSet.ClassCount];

        for (var epoch = 0; epoch < epochs; epoch++)
        {
            Array.Clear(weightGradient);
            Array.Clear(biasGradient);
            var model = new SoftmaxRegression(weights, bias);
            foreach (var sample in samples)
            {
                var p = model.Probabilities(sample.Features);
                for (var c = 0; c < IrisDataSet.ClassCount; c++)
                {
                    // Gradient of cross-entropy with respect to the logit: p - onehot.
                    var error = p[c] - (c == sample.Species ? 1.0 : 0.0);
                    biasGradient[c] += error;
                    for (var f = 0; f < IrisDataSet.FeatureCount; f++)
                    {
                        weightGradient[c, f] += error * sample.Features[f];
                    }
                }
            }

            for (var c = 0; c < IrisDataSet.ClassCount; c++)
            {
                bias[c] -= learningRate * biasGradient[c] / samples.Count;
                for (var f = 0; f < IrisDataSet.FeatureCount; f++)
                {
                    weights[c, f] -= learningRate * ((weightGradient[c, f] / samples.Count) + (l2 * weights[c, f]));
                }
            }
        }

        return new SoftmaxRegression(weights, bias);
    }
}
