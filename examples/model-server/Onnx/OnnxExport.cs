using ModelServer.Iris;

namespace ModelServer.Onnx;

/// <summary><c>ModelServer export-onnx &lt;version&gt; &lt;file.onnx&gt;</c>: trains a version on the shipped data set and writes it as ONNX.</summary>
internal static class OnnxExport
{
    public static int Run(IReadOnlyList<string> args)
    {
        if (args.Count != 2 || !ModelVersions.IsKnown(args[0]))
        {
            Console.Error.WriteLine($"usage: ModelServer export-onnx <{string.Join("|", ModelVersions.Known)}> <file.onnx>");
            return 2;
        }

        var (version, path) = (args[0], args[1]);
        var samples = IrisDataSet.Load();
        var classifier = ModelVersions.Train(version, samples);
        if (classifier is not IOnnxExportable exportable)
        {
            Console.Error.WriteLine($"model version {version} cannot be written as ONNX");
            return 1;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, OnnxModelWriter.Write(exportable, version));

        // The file is checked as it will be served: ONNX Runtime must load it and agree with the trained model on every row.
        using var loaded = new OnnxClassifier(path);
        var disagreements = samples.Count(s => loaded.Predict(s.Features) != classifier.Predict(s.Features));
        Console.WriteLine($"wrote {path}: iris {version}, {new FileInfo(path).Length} bytes; ONNX Runtime accuracy {loaded.Accuracy(samples):P2} on {samples.Count} rows, {disagreements} disagreements with the trained model");
        return disagreements == 0 ? 0 : 1;
    }
}
