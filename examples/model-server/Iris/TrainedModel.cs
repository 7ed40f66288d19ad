using System.Diagnostics;

namespace ModelServer.Iris;

/// <summary>A classifier trained on the shipped data set, with what the training measured.</summary>
internal sealed record TrainedModel(string Version, IIrisClassifier Classifier, double Accuracy, int Rows, TimeSpan Took)
{
    /// <summary>Trains on a pool thread so that the web host starts at the same time (the pod is live at once).</summary>
    public static Task<TrainedModel> TrainInBackground(string version) => Task.Run(() =>
    {
        var watch = Stopwatch.StartNew();
        var samples = IrisDataSet.Load();
        var classifier = ModelVersions.Train(version, samples);
        return new TrainedModel(version, classifier, classifier.Accuracy(samples), samples.Count, watch.Elapsed);
    });
}
