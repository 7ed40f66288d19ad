using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ModelServer.Iris;

namespace ModelServer.Onnx;

/// <summary>An iris classifier read from an .onnx file and run by ONNX Runtime (CPU): one session, shared by all requests.</summary>
internal sealed class OnnxClassifier : IIrisClassifier, IDisposable
{
    readonly InferenceSession _session;

    public OnnxClassifier(string path)
    {
        _session = new InferenceSession(path);
        if (!_session.InputMetadata.ContainsKey(OnnxModelWriter.InputName) || !_session.OutputMetadata.ContainsKey(OnnxModelWriter.ProbabilityOutput))
        {
            var found = $"inputs [{string.Join(", ", _session.InputMetadata.Keys)}], outputs [{string.Join(", ", _session.OutputMetadata.Keys)}]";
            _session.Dispose();
            throw new InvalidOperationException(
                $"{path} is not an iris model: it needs input {OnnxModelWriter.InputName} and output {OnnxModelWriter.ProbabilityOutput}, it has {found}");
        }

        Producer = _session.ModelMetadata.ProducerName;
    }

    public string Producer { get; }

    public double[] Probabilities(ReadOnlySpan<double> features)
    {
        var input = new DenseTensor<float>([1, IrisDataSet.FeatureCount]);
        for (var f = 0; f < IrisDataSet.FeatureCount; f++)
            input[0, f] = (float)features[f];
        using var results = _session.Run([NamedOnnxValue.CreateFromTensor(OnnxModelWriter.InputName, input)], [OnnxModelWriter.ProbabilityOutput]);
        var probabilities = results[0].AsTensor<float>();
        var answer = new double[IrisDataSet.ClassCount];
        for (var c = 0; c < answer.Length; c++)
            answer[c] = probabilities[0, c];
        return answer;
    }

    public void Dispose() => _session.Dispose();
}
