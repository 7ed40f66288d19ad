using System.Globalization;

namespace ModelServer.Iris;

/// <summary>One measured flower: four features in centimetres and its species as a class index.</summary>
internal sealed record IrisSample(double[] Features, int Species);

/// <summary>Fisher's iris data (150 rows, 3 species), shipped inside the assembly.</summary>
internal static class IrisDataSet
{
    public const int FeatureCount = 4;
    public const int ClassCount = 3;

    public static IReadOnlyList<string> SpeciesNames { get; } = ["setosa", "versicolor", "virginica"];

    public static IReadOnlyList<IrisSample> Load()
    {
        using var stream = typeof(IrisDataSet).Assembly.GetManifestResourceStream("iris.csv")
            ?? throw new InvalidOperationException("The iris data set is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    internal static IReadOnlyList<IrisSample> Parse(string csv)
    {
        var samples = new List<IrisSample>(150);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split(',');
            if (fields.Length != FeatureCount + 1)
            {
                throw new FormatException($"Iris row '{line}' has {fields.Length} fields, expected {FeatureCount + 1}.");
            }

            var features = fields.Take(FeatureCount).Select(f => double.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            var species = SpeciesNames.ToList().IndexOf(fields[FeatureCount]);
            if (species < 0)
            {
                throw new FormatException($"Iris row '{line}' names an unknown species.");
            }

            samples.Add(new IrisSample(features, species));
        }

        return samples;
    }
}
