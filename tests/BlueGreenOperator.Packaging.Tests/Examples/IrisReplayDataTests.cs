using System.Text;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.Packaging.Tests.Examples;

/// <summary>
/// examples/iris/iris-replay.yaml is made from examples/model-server/data/iris.csv: one recorded inference request
/// per flower with its true species as the expected class. Run with BLUEGREEN_REGENERATE_EXAMPLES=1 to write it again.
/// </summary>
[TestFixture]
public sealed class IrisReplayDataTests
{
    const string DataSet = "examples/iris/iris-replay.yaml";
    const string Csv = "examples/model-server/data/iris.csv";
    static readonly string[] Species = ["setosa", "versicolor", "virginica"];

    [Test]
    public void Should_ship_the_iris_replay_data_set_as_generated_from_the_iris_csv()
    {
        var expected = Generate(File.ReadAllLines(SourceTree.PathOf(Csv)));
        if (Environment.GetEnvironmentVariable("BLUEGREEN_REGENERATE_EXAMPLES") == "1")
            File.WriteAllText(SourceTree.PathOf(DataSet), expected);

        SourceTree.ReadText(DataSet).Should().Be(expected, "regenerate it with BLUEGREEN_REGENERATE_EXAMPLES=1 dotnet test --filter IrisReplayData");
    }

    [Test]
    public void Should_hold_one_labelled_request_per_flower_within_the_replay_bound()
    {
        var configMap = KubernetesYaml.Deserialize<V1ConfigMap>(SourceTree.ReadText(DataSet));
        var lines = configMap.Data["requests.jsonl"].Split('\n', StringSplitOptions.RemoveEmptyEntries);

        configMap.Metadata.Name.Should().Be("iris-replay");
        lines.Should().HaveCount(150);
        Encoding.UTF8.GetByteCount(configMap.Data["requests.jsonl"]).Should().BeLessThan(1024 * 1024);
        lines[70].Should().Be("""{"request":{"id":"iris-71","inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.9,3.2,4.8,1.8]}]},"expected":{"output-0":[1]}}""",
            "row 71 is the versicolor the two model versions disagree on");
    }

    static string Generate(IReadOnlyList<string> csv)
    {
        var text = new StringBuilder();
        text.Append("""
            # Recorded inference requests for the iris example, one per flower of examples/model-server/data/iris.csv,
            # each with its true species as the expected class (0 setosa, 1 versicolor, 2 virginica). spec.replay sends
            # them to the new and the serving colour before a switch. Generated; do not edit by hand (regenerate with
            # BLUEGREEN_REGENERATE_EXAMPLES=1 dotnet test tests/BlueGreenOperator.Packaging.Tests --filter IrisReplayData).
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: iris-replay
            data:
              requests.jsonl: |

            """);
        foreach (var (row, index) in csv.Skip(1).Where(l => l.Length > 0).Select((l, i) => (l.Split(','), i + 1)))
        {
            var features = string.Join(",", row[..4]);
            var label = Array.IndexOf(Species, row[4].Trim());
            label.Should().BeGreaterThanOrEqualTo(0, "row {0} names a known species", index);
            text.Append($$$"""    {"request":{"id":"iris-{{{index}}}","inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[{{{features}}}]}]},"expected":{"output-0":[{{{label}}}]}}""").Append('\n');
        }

        return text.ToString();
    }
}
