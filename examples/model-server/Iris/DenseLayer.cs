using System.Runtime.CompilerServices;

namespace ModelServer.Iris;

/// <summary>The fully connected layer both trainers use: outputs = weights · inputs + bias.</summary>
internal static class DenseLayer
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(double[,] weights, double[] bias, ReadOnlySpan<double> inputs, Span<double> outputs)
    {
        for (var o = 0; o < outputs.Length; o++)
        {
            var sum = bias[o];
            for (var i = 0; i < inputs.Length; i++)
            {
                sum += weights[o, i] * inputs[i];
            }

            outputs[o] = sum;
        }
    }

    /// <summary>One gradient-descent step from gradients summed over <paramref name="rows"/> rows, with L2 on the weights only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Descend(
        double[,] weights, double[] bias, double[,] weightGradient, double[] biasGradient, int rows, double learningRate, double l2)
    {
        for (var o = 0; o < bias.Length; o++)
        {
            bias[o] -= learningRate * biasGradient[o] / rows;
            for (var i = 0; i < weights.GetLength(1); i++)
            {
                weights[o, i] -= learningRate * ((weightGradient[o, i] / rows) + (l2 * weights[o, i]));
            }
        }
    }
}
