namespace ModelServer.Inference;

/// <summary>The tensors the served model takes and gives, as published in its metadata.</summary>
internal sealed record ModelSignature(string ModelName, string Version, int FeatureCount, int ClassCount)
{
    public const string ClassOutput = "output-0";
    public const string ProbabilityOutput = "probabilities";

    public string InputName => "input-0";

    public IReadOnlyList<string> OutputNames { get; } = [ClassOutput, ProbabilityOutput];
}
