using System.Runtime.CompilerServices;

namespace ModelServer.Iris;

/// <summary>
/// A small neural network (4 standardized inputs, one tanh hidden layer, softmax output),
/// trained by full-batch gradient descent from a seeded initialization.
/// </summary>
internal sealed class TwoLayerNetwork(
    FeatureScaling scaling, double[,] hiddenWeights, double[] hiddenBias, double[,] outputWeights, double[] outputBias)
    : IIrisClassifier, Onnx.IOnnxExportable
{
    /// <summary>Standardize (Sub, Div), the tanh hidden layer (Gemm, Tanh), then the output layer's logits (Gemm).</summary>
    public string AppendTo(Onnx.OnnxGraph graph, string input)
    {
        var centred = graph.Node("Sub", [input, graph.Weights("mean", scaling.Mean)]);
        var scaled = graph.Node("Div", [centred, graph.Weights("deviation", scaling.StandardDeviation)]);
        var hidden = graph.Node("Tanh", [graph.Node("Gemm", [scaled, graph.Weights("hidden_weights", hiddenWeights), graph.Weights("hidden_bias", hiddenBias)], null, ("transB", 1L))]);
        return graph.Node("Gemm", [hidden, graph.Weights("output_weights", outputWeights), graph.Weights("output_bias", outputBias)], null, ("transB", 1L));
    }

    private int HiddenUnits => hiddenBias.Length;

    public double[] Probabilities(ReadOnlySpan<double> features)
    {
        var output = new double[IrisDataSet.ClassCount];
        Forward(features, new double[HiddenUnits], output);
        return output;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Forward(ReadOnlySpan<double> features, Span<double> hidden, Span<double> output)
    {
        Span<double> x = stackalloc double[IrisDataSet.FeatureCount];
        scaling.Apply(features, x);
        DenseLayer.Forward(hiddenWeights, hiddenBias, x, hidden);
        for (var h = 0; h < hidden.Length; h++)
        {
            hidden[h] = Math.Tanh(hidden[h]);
        }

        DenseLayer.Forward(outputWeights, outputBias, hidden, output);
        IrisClassifierExtensions.Softmax(output);
    }

    // Runs once per pod start: compile optimized at once instead of interpreting-quality tier-0 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static TwoLayerNetwork Train(
        IReadOnlyList<IrisSample> samples, int hiddenUnits, int epochs, double learningRate, double l2, int seed)
    {
        var scaling = FeatureScaling.Fit(samples);
        var random = new Random(seed);
        double Initial(int fanIn) => (random.NextDouble() * 2 - 1) / Math.Sqrt(fanIn);

        var w1 = new double[hiddenUnits, IrisDataSet.FeatureCount];
        var b1 = new double[hiddenUnits];
        var w2 = new double[IrisDataSet.ClassCount, hiddenUnits];
        var b2 = new double[IrisDataSet.ClassCount];
        for (var h = 0; h < hiddenUnits; h++)
        {
            for (var f = 0; f < IrisDataSet.FeatureCount; f++)
            {
                w1[h, f] = Initial(IrisDataSet.FeatureCount);
            }
        }

        for (var c = 0; c < IrisDataSet.ClassCount; c++)
        {
            for (var h = 0; h < hiddenUnits; h++)
            {
                w2[c, h] = Initial(hiddenUnits);
            }
        }

        var network = new TwoLayerNetwork(scaling, w1, b1, w2, b2);
        var gw1 = new double[hiddenUnits, IrisDataSet.FeatureCount];
        var gb1 = new double[hiddenUnits];
        var gw2 = new double[IrisDataSet.ClassCount, hiddenUnits];
        var gb2 = new double[IrisDataSet.ClassCount];
        var hidden = new double[hiddenUnits];
        var outputError = new double[IrisDataSet.ClassCount];
        Span<double> p = stackalloc double[IrisDataSet.ClassCount];
        Span<double> x = stackalloc double[IrisDataSet.FeatureCount];

        for (var epoch = 0; epoch < epochs; epoch++)
        {
            Array.Clear(gw1);
            Array.Clear(gb1);
            Array.Clear(gw2);
            Array.Clear(gb2);
            foreach (var sample in samples)
            {
                network.Forward(sample.Features, hidden, p);
                scaling.Apply(sample.Features, x);
                for (var c = 0; c < outputError.Length; c++)
                {
                    outputError[c] = p[c] - (c == sample.Species ? 1.0 : 0.0);
                    gb2[c] += outputError[c];
                    for (var h = 0; h < hiddenUnits; h++)
                    {
                        gw2[c, h] += outputError[c] * hidden[h];
                    }
                }

                for (var h = 0; h < hiddenUnits; h++)
                {
                    var back = 0.0;
                    for (var c = 0; c < outputError.Length; c++)
                    {
                        back += outputError[c] * w2[c, h];
                    }

                    // Derivative of tanh is 1 - tanh².
                    var delta = back * (1 - (hidden[h] * hidden[h]));
                    gb1[h] += delta;
                    for (var f = 0; f < x.Length; f++)
                    {
                        gw1[h, f] += delta * x[f];
                    }
                }
            }

            DenseLayer.Descend(w1, b1, gw1, gb1, samples.Count, learningRate, l2);
            DenseLayer.Descend(w2, b2, gw2, gb2, samples.Count, learningRate, l2);
        }

        return network;
    }
}
