namespace ModelServer.Inference;

/// <summary>The tensors the served model takes and gives, as published in its metadata.</summary>
internal sealed record ModelSignature(string ModelName, string Version, int FeatureCount, int ClassCount)
{
    public const string ClassOutput = "output-0";
    public const string ProbabilityOutput = "probabilities";
    public const string TrainedPlatform = "dotnet-iris-classifier";
    public const string OnnxPlatform = "onnxruntime_onnx";

    /// <summary>The metadata's platform: the trained C# classifier, or an .onnx file run by ONNX Runtime (Triton's name for it).</summary>
    public string Platform { get; init; } = TrainedPlatform;

    public string InputName => "input-0";

    public IReadOnlyList<string> OutputNames { get; } = [ClassOutput, ProbabilityOutput];
}
