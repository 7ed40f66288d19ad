using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ModelServer.Iris;

/// <summary>Trains every version and reports accuracy and where their answers differ (the <c>evaluate</c> command).</summary>
internal static class VersionComparison
{
    public static string Report()
    {
        var samples = IrisDataSet.Load();
        var text = new StringBuilder();
        var trained = new Dictionary<string, IIrisClassifier>();
        foreach (var version in ModelVersions.Known)
        {
            var watch = Stopwatch.StartNew();
            trained[version] = ModelVersions.Train(version, samples);
            text.Append(CultureInfo.InvariantCulture,
                $"{version}: accuracy {trained[version].Accuracy(samples):P2} on {samples.Count} rows, trained in {watch.ElapsedMilliseconds} ms ({ModelVersions.Describe(version)})\n");
        }

        var v1 = trained["v1"];
        var v2 = trained["v2"];
        text.Append("Rows of the data set where v1 and v2 predict different classes:\n");
        foreach (var sample in samples.Where(s => v1.Predict(s.Features) != v2.Predict(s.Features)))
        {
            text.Append(CultureInfo.InvariantCulture,
                $"  [{string.Join(", ", sample.Features)}] true {IrisDataSet.SpeciesNames[sample.Species]}: " +
                $"v1 {Describe(v1, sample.Features)}, v2 {Describe(v2, sample.Features)}\n");
        }

        return text.ToString();
    }

    private static string Describe(IIrisClassifier classifier, double[] features)
    {
        var p = classifier.Probabilities(features);
        return string.Create(CultureInfo.InvariantCulture,
            $"{IrisClassifierExtensions.ArgMax(p)} [{string.Join(", ", p.Select(x => x.ToString("F3", CultureInfo.InvariantCulture)))}]");
    }
}
