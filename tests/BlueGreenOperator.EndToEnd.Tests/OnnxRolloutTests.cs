using BlueGreenOperator.Api;
using BlueGreenOperator.LocalCluster.Kubelet;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>
/// A blue-green rollout of a real ONNX model: the iris versions exported to .onnx by the model server's build and
/// served through ONNX Runtime (image bluegreen.dev/onnx-model-server), gated by the same golden prediction.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class OnnxRolloutTests
{
    static BlueGreenDeployment Onnx(string version)
    {
        var resource = ModelRollout.Model(version, version);
        resource.Spec.Template.Spec.Containers.Single().Image = $"{ImageCatalog.OnnxModelServerImage}:{version}";
        return resource;
    }

    [Test]
    public async Task Should_release_an_onnx_model_and_switch_to_its_next_version()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();

        await rollout.ApplyAsync(Onnx("v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
        await rollout.ApplyAsync(Onnx("v2"));
        var switched = await rollout.WaitForAsync(s => s.ActiveModelVersion == "v2" && s.LastSwitchMilliseconds is not null, "the switch to the ONNX v2");

        switched.Status!.SmokeTests.Should().OnlyContain(r => r.Passed && r.Pods == 3, "the golden prediction passed on every ONNX Runtime pod");
        await rollout.WaitForServingAsync("v2");
        var pods = await ModelRollout.Client.CoreV1.ListNamespacedPodAsync(rollout.Ns);
        pods.Items.Where(p => p.Status.Phase == "Running").Should().NotBeEmpty()
            .And.OnlyContain(p => p.Spec.Containers.Single().Image.StartsWith(ImageCatalog.OnnxModelServerImage));
        await rollout.AssertInvariantsHeldAsync();
    }
}
