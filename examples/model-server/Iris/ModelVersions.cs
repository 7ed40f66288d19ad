namespace ModelServer.Iris;

/// <summary>The model versions this server can train, each a different trainer or hyperparameters.</summary>
internal static class ModelVersions
{
    private static readonly Dictionary<string, (string Description, Func<IReadOnlyList<IrisSample>, IIrisClassifier> Train)> Trainers =
        new(StringComparer.Ordinal)
        {
            ["v1"] = ("softmax regression on raw features, gradient descent (2000 epochs, rate 0.05, L2 1e-4)",
                samples => SoftmaxRegression.Train(samples, epochs: 2000, learningRate: 0.05, l2: 1e-4)),
            ["v2"] = ("two-layer tanh network (6 hidden units) on standardized features, gradient descent (1500 epochs, rate 0.3, L2 1e-3, seed 17)",
                samples => TwoLayerNetwork.Train(samples, hiddenUnits: 6, epochs: 1500, learningRate: 0.3, l2: 1e-3, seed: 17)),
        };

    public static IReadOnlyCollection<string> Known => Trainers.Keys;

    public static bool IsKnown(string version) => Trainers.ContainsKey(version);

    public static string Describe(string version) => Trainers[version].Description;

    public static IIrisClassifier Train(string version, IReadOnlyList<IrisSample> samples) => Trainers[version].Train(samples);
}
