using System.Runtime.CompilerServices;

namespace ModelServer.Iris;

/// <summary>Multinomial logistic regression on the raw features, trained by full-batch gradient descent.</summary>
internal sealed class SoftmaxRegression(double[,] weights, double[] bias) : IIrisClassifier, Onnx.IOnnxExportable
{
    /// <summary>logits = features · weightsᵀ + bias, as one Gemm.</summary>
    public string AppendTo(Onnx.OnnxGraph graph, string input) =>
        graph.Node("Gemm", [input, graph.Weights("weights", weights), graph.Weights("bias", bias)], null, ("transB", 1L));

    public double[] Probabilities(ReadOnlySpan<double> features)
    {
        var probabilities = new double[IrisDataSet.ClassCount];
        Probabilities(features, probabilities);
        return probabilities;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Probabilities(ReadOnlySpan<double> features, Span<double> probabilities)
    {
        DenseLayer.Forward(weights, bias, features[..IrisDataSet.FeatureCount], probabilities);
        IrisClassifierExtensions.Softmax(probabilities);
    }

    // Runs once per pod start: compile optimized at once instead of interpreting-quality tier-0 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static SoftmaxRegression Train(IReadOnlyList<IrisSample> samples, int epochs, double learningRate, double l2)
    {
        var weights = new double[IrisDataSet.ClassCount, IrisDataSet.FeatureCount];
        var bias = new double[IrisDataSet.ClassCount];
        var weightGradient = new double[IrisDataSet.ClassCount, IrisDataSet.FeatureCount];
        var biasGradient = new double[IrisDataSet.ClassCount];
        Span<double> p = stackalloc double[IrisDataSet.ClassCount];
        var model = new SoftmaxRegression(weights, bias);

        for (var epoch = 0; epoch < epochs; epoch++)
        {
            Array.Clear(weightGradient);
            Array.Clear(biasGradient);
            foreach (var sample in samples)
            {
                model.Probabilities(sample.Features, p);
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

            DenseLayer.Descend(weights, bias, weightGradient, biasGradient, samples.Count, learningRate, l2);
        }

        return new SoftmaxRegression(weights, bias);
    }
}
