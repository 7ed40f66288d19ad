using System.Text;
using System.Text.Json;
using BlueGreenOperator.Api;
using BlueGreenOperator.Checks.Replay;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Checks.Replay;

/// <summary>The replay data set: JSON Lines, its bounds, the deterministic sample, and the spec rules of spec.replay.</summary>
[TestFixture]
public sealed class ReplayDataSetTests
{
    const string Request = """{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}""";

    static string Labelled(int cls) => $$$"""{"request":{{{Request}}},"expected":{"output-0":[{{{cls}}}],"probabilities":[[0.9,0.1,0]]}}""";

    [Test]
    public void Should_read_bare_requests_and_requests_with_expected_outputs_and_skip_blank_lines()
    {
        var lines = ReplayDataSet.Parse($"{Request}\r\n\n{Labelled(2)}\n", "test");

        lines.Select(l => l.Number).Should().Equal(1, 3);
        lines[0].Expected.Should().BeNull();
        JsonDocument.Parse(lines[0].Request).RootElement.GetProperty("inputs")[0].GetProperty("name").GetString().Should().Be("input-0");
        lines[1].Expected!["output-0"].Should().Equal(2);
        lines[1].Expected!["probabilities"].Should().Equal(0.9, 0.1, 0);
        JsonDocument.Parse(lines[1].Request).RootElement.TryGetProperty("expected", out _).Should().BeFalse("only the request is sent");
    }

    [Test]
    public void Should_refuse_an_empty_data_set_and_name_a_malformed_line()
    {
        FluentActions.Invoking(() => ReplayDataSet.Parse("\n \n", "ConfigMap r key k")).Should().Throw<ReplayDataException>().WithMessage("ConfigMap r key k holds no request");
        FluentActions.Invoking(() => ReplayDataSet.Parse($"{Request}\n{{\"inputs\": [", "d")).Should().Throw<ReplayDataException>().WithMessage("d line 2 is not JSON*");
        FluentActions.Invoking(() => ReplayDataSet.Parse("""{"outputs":[]}""", "d")).Should().Throw<ReplayDataException>().WithMessage("d line 1 has no \"inputs\" array*");
        FluentActions.Invoking(() => ReplayDataSet.Parse($$$"""{"request":{{{Request}}},"expected":{"output-0":["setosa"]}}""", "d")).Should().Throw<ReplayDataException>()
            .WithMessage("d line 1: expected \"output-0\" must be numbers");
    }

    [Test]
    public void Should_refuse_a_data_set_over_one_mebibyte_or_over_the_line_bound()
    {
        var large = new StringBuilder();
        while (large.Length <= ReplayDataSet.MaxBytes)
            large.Append(Request).Append('\n');
        var many = string.Join('\n', Enumerable.Repeat("""{"inputs":[]}""", ReplayDataSet.MaxLines + 1));

        FluentActions.Invoking(() => ReplayDataSet.Parse(large.ToString(), "ConfigMap r key k")).Should().Throw<ReplayDataException>()
            .WithMessage("ConfigMap r key k holds * bytes, over the bound of 1048576 bytes (1 MiB)");
        FluentActions.Invoking(() => ReplayDataSet.Parse(many, "d")).Should().Throw<ReplayDataException>().WithMessage("d holds more than 10000 lines, over the bound");
    }

    [Test]
    public void Should_sample_evenly_spread_lines_in_the_same_order_every_time()
    {
        var lines = ReplayDataSet.Parse(string.Join('\n', Enumerable.Repeat(Request, 150)), "d");

        var sample = ReplayDataSet.Sample(lines, 5);

        sample.Select(l => l.Number).Should().Equal(1, 31, 61, 91, 121);
        ReplayDataSet.Sample(lines, 5).Should().Equal(sample);
        ReplayDataSet.Sample(lines, null).Should().HaveCount(150);
        ReplayDataSet.Sample(lines, 1000).Should().HaveCount(150);
    }

    static IReadOnlyList<string> Validate(Action<ReplaySpec> edit)
    {
        var resource = Rollout.Given.Resource("v2", s =>
        {
            s.Replay = new ReplaySpec { Lines = [Request], Port = 8080, Model = "iris" };
            edit(s.Replay);
        });
        return SpecValidator.Validate(resource);
    }

    [Test]
    public void Should_accept_a_valid_replay()
    {
        Validate(_ => { }).Should().BeEmpty();
        Validate(r => { r.Lines = null; r.ConfigMapRef = new ConfigMapKeyReference { Name = "iris-replay", Key = "requests.jsonl" }; }).Should().BeEmpty();
    }

    [Test]
    public void Should_report_an_inline_data_set_over_the_bound_as_an_invalid_spec()
    {
        var line = Request + new string(' ', 60_000);

        Validate(r => r.Lines = [.. Enumerable.Repeat(line, 20)]).Should().ContainSingle()
            .Which.Should().Match("spec.replay.lines holds * bytes, over the bound of 1048576 bytes (1 MiB)");
    }

    [Test]
    public void Should_report_every_broken_rule_of_a_replay()
    {
        var errors = Validate(r =>
        {
            r.ConfigMapRef = new ConfigMapKeyReference { Name = "Not_A_Name", Key = "a/b" };
            r.Lines = ["not json"];
            r.MinAgreement = 1.5;
            r.MaxLatencyRatio = 0.5;
            r.SampleSize = 0;
            r.Concurrency = 0;
            r.Compare = [new OutputComparisonSpec { Output = "output-0", Mode = "fuzzy" }, new OutputComparisonSpec { Output = "output-0", Tolerance = -1 }];
        });

        errors.Should().BeEquivalentTo(
            "spec.replay: exactly one of configMapRef and lines is required",
            "spec.replay.configMapRef.name 'Not_A_Name' is not a ConfigMap name",
            "spec.replay.configMapRef.key 'a/b' is not a ConfigMap key",
            "spec.replay.lines line 1 is not JSON: 'not json' is an invalid JSON literal. Expected the literal 'null'. LineNumber: 0 | BytePositionInLine: 1.",
            "spec.replay.sampleSize must be between 1 and 5000, got 0",
            "spec.replay.minAgreement must be between 0 and 1, got 1.5",
            "spec.replay.maxLatencyRatio must be at least 1, got 0.5",
            "spec.replay.concurrency must be between 1 and 32, got 0",
            "spec.replay.compare[0].mode must be one of exact, tolerance, argmax, got 'fuzzy'",
            "spec.replay.compare[1].output 'output-0' is compared twice",
            "spec.replay.compare[1].tolerance must be at least 0, got -1");
    }
}
