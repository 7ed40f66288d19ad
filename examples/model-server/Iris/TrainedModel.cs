using System.Diagnostics;

namespace ModelServer.Iris;

/// <summary>A classifier trained on the shipped data set, with what the training measured.</summary>
internal sealed record TrainedModel(string Version, IIrisClassifier Classifier, double Accuracy, int Rows, TimeSpan Took)
{
    /// <summary>Loads an .onnx model for ONNX Runtime instead of training (MODEL_FILE), measured on the same rows.</summary>
    public static Task<TrainedModel> LoadOnnxInBackground(string version, string path) => Task.Run(() =>
    {
        var watch = Stopwatch.StartNew();
        var samples = IrisDataSet.Load();
        var classifier = new Onnx.OnnxClassifier(path);
        return new TrainedModel(version, classifier, classifier.Accuracy(samples), samples.Count, watch.Elapsed);
    });

    /// <summary>Trains on a pool thread so that the web host starts at the same time (the pod is live at once).</summary>
    public static Task<TrainedModel> TrainInBackground(string version) => Task.Run(() =>
    {
        var watch = Stopwatch.StartNew();
        var samples = IrisDataSet.Load();
        var classifier = ModelVersions.Train(version, samples);
        return new TrainedModel(version, classifier, classifier.Accuracy(samples), samples.Count, watch.Elapsed);
    });
}
