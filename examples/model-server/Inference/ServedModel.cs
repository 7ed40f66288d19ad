using System.Text;
using System.Text.Json;
using ModelServer.Iris;

namespace ModelServer.Inference;

/// <summary>The one trained model this process serves, answering validated batches.</summary>
/// <remarks>Answers only once readiness says training has completed.</remarks>
internal sealed class ServedModel(ModelSignature signature, Task<TrainedModel> training, bool wrongPredictions, bool swappedLabels = false)
{
    public ModelSignature Signature => signature;

    public InferenceResponse Infer(InferenceBatch batch)
    {
        var classifier = training.Result.Classifier;
        var rows = batch.Rows.Count;
        var classes = new long[rows];
        var probabilities = new float[rows * signature.ClassCount];
        for (var r = 0; r < rows; r++)
        {
            var p = classifier.Probabilities(batch.Rows[r]);
            var predicted = IrisClassifierExtensions.ArgMax(p);
            // A deliberately broken release: every answer shifted by one class, probabilities shifted alike.
            var shift = wrongPredictions ? 1 : 0;
            classes[r] = (Label(predicted) + shift) % signature.ClassCount;
            for (var c = 0; c < signature.ClassCount; c++)
            {
                probabilities[(r * signature.ClassCount) + ((Label(c) + shift) % signature.ClassCount)] = (float)p[c];
            }
        }

        var outputs = batch.Outputs.Select(name => name == ModelSignature.ClassOutput
                ? new OutputTensor(name, [rows], "INT64", classes)
                : new OutputTensor(name, [rows, signature.ClassCount], "FP32", probabilities))
            .ToArray();
        return new InferenceResponse(signature.ModelName, signature.Version, batch.Id ?? Guid.NewGuid().ToString("N"), outputs);
    }

    /// <summary>
    /// The label a class is answered under: with swapped labels (a deliberately broken release) classes 1 and 2 trade
    /// places, so setosa, and every golden test on it, stays right.
    /// </summary>
    private long Label(long c) => swappedLabels && c is 1 or 2 ? 3 - c : c;

    /// <summary>
    /// Runs one request through parsing, the model and the response encoding, so that the first request from outside
    /// does not pay for compiling them: readiness waits for it, as model servers warm a model up before taking traffic.
    /// </summary>
    public void WarmUp()
    {
        var row = string.Join(", ", Enumerable.Repeat("0.5", signature.FeatureCount));
        var body = Encoding.UTF8.GetBytes(
            $$"""{"inputs": [{"name": "{{signature.InputName}}", "shape": [1, {{signature.FeatureCount}}], "datatype": "FP32", "data": [{{row}}]}]}""");
        var response = Infer(InferenceRequestParser.Parse(body, signature));
        JsonSerializer.SerializeToUtf8Bytes(response, ProtocolJsonContext.Readable.InferenceResponse);
    }

    public ModelMetadata Metadata() => new(
        signature.ModelName,
        [signature.Version],
        signature.Platform,
        [new TensorMetadata(signature.InputName, "FP32", [-1, signature.FeatureCount])],
        [
            new TensorMetadata(ModelSignature.ClassOutput, "INT64", [-1]),
            new TensorMetadata(ModelSignature.ProbabilityOutput, "FP32", [-1, signature.ClassCount]),
        ]);
}
