using System.Diagnostics;
using System.Net;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.ModelServer.Tests.InferenceMessages;

namespace BlueGreenOperator.ModelServer.Tests;

/// <summary>
/// The trained versions written as ONNX by the server's build and served through ONNX Runtime (MODEL_FILE): the same
/// answers as the trained classifier, published as an onnxruntime model over the Open Inference Protocol.
/// </summary>
[TestFixture]
public sealed class OnnxModelTests
{
    static string ModelFile(string version) => Path.Combine(Path.GetDirectoryName(ModelServerProcess.AssemblyPath)!, "models", $"iris-{version}.onnx");

    [TestCase("v1")]
    [TestCase("v2")]
    public async Task Should_export_a_version_that_onnx_runtime_loads_and_that_agrees_with_the_trained_model_on_every_row(string version)
    {
        var file = Path.Combine(Path.GetTempPath(), $"iris-{version}-{Guid.NewGuid():N}.onnx");
        try
        {
            var start = new ProcessStartInfo("dotnet", [ModelServerProcess.AssemblyPath, "export-onnx", version, file]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using var export = Process.Start(start)!;
            var output = await export.StandardOutput.ReadToEndAsync();
            await export.WaitForExitAsync();

            export.ExitCode.Should().Be(0, output + await export.StandardError.ReadToEndAsync());
            output.Should().Contain("on 150 rows, 0 disagreements with the trained model");
            File.ReadAllBytes(file).Should().Equal(File.ReadAllBytes(ModelFile(version)), "the build exports the same model deterministically");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Should_serve_the_onnx_model_over_the_open_inference_protocol_with_the_trained_models_answers()
    {
        await using var onnx = await ModelServerProcess.StartAsync(new Dictionary<string, string> { ["MODEL_VERSION"] = "v2", ["MODEL_FILE"] = ModelFile("v2") });
        await using var trained = await ModelServerProcess.StartAsync(new Dictionary<string, string> { ["MODEL_VERSION"] = "v2" });

        var (status, metadata) = await onnx.GetAsync("/v2/models/iris");
        status.Should().Be(HttpStatusCode.OK);
        ((string?)metadata!["platform"]).Should().Be("onnxruntime_onnx");
        metadata["versions"]!.AsArray().Select(v => (string?)v).Should().Equal("v2");
        var flowers = new[] { Setosa, Borderline, [6.7, 3.0, 5.2, 2.3], [5.7, 2.8, 4.1, 1.3] };
        var (onnxStatus, onnxAnswer) = await onnx.InferAsync(Request(flowers));
        var (_, trainedAnswer) = await trained.InferAsync(Request(flowers));

        onnxStatus.Should().Be(HttpStatusCode.OK);
        Classes(onnxAnswer).Should().Equal(Classes(trainedAnswer));
        Probabilities(onnxAnswer).Should().Equal(Probabilities(trainedAnswer), (a, b) => Math.Abs(a - b) < 1e-4, "float32 in ONNX Runtime against float64 in C#");
        onnx.Output.Should().Contain("into ONNX Runtime").And.Contain("accuracy on the 150 iris rows 98.67");
    }

    [Test]
    public async Task Should_refuse_to_start_when_the_model_file_is_missing()
    {
        await using var server = await ModelServerProcess.StartExpectingExitAsync(new Dictionary<string, string> { ["MODEL_FILE"] = "/nonexistent/iris.onnx" });

        server.ExitCode.Should().Be(2);
        server.Output.Should().Contain("MODEL_FILE '/nonexistent/iris.onnx' does not exist");
    }
}
