using BlueGreenOperator.LocalCluster.Install;
using BlueGreenOperator.LocalCluster.Processes;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>`kubectl bluegreen …` as a platform engineer types it, found by real kubectl on PATH, during a real rollout.</summary>
[TestFixture]
[NonParallelizable]
public sealed class KubectlPluginDuringRolloutTests
{
    [Test]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Should_show_a_paused_rollout_refuse_a_verb_that_does_not_apply_and_promote_it()
    {
        await using var rollout = await ModelRollout.StartAsync();
        rollout.Watch();
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1"));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");
        await rollout.ApplyAsync(ModelRollout.Model("v2", "v2", edit: s => s.Strategy.AutoPromote = false));
        await rollout.WaitForPhaseAsync(Phase.Paused);

        var pathDirectory = Directory.CreateTempSubdirectory("kubectl-plugin-").FullName;
        try
        {
            // What hack/install-plugin.sh puts on PATH: a launcher named kubectl-bluegreen.
            var launcher = Path.Combine(pathDirectory, "kubectl-bluegreen");
            await File.WriteAllTextAsync(launcher, $"#!/bin/sh\nexec dotnet \"{BuildOutputs.PluginDll}\" \"$@\"\n");
            File.SetUnixFileMode(launcher, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var environment = new Dictionary<string, string>
            {
                ["PATH"] = pathDirectory + ":" + Environment.GetEnvironmentVariable("PATH"),
                ["KUBECONFIG"] = EndToEndCluster.Kubeconfig,
            };
            Task<CommandResult> Bluegreen(params string[] arguments) =>
                HostCommand.RunAsync(KubernetesBinaries.FromCache().Kubectl, ["bluegreen", .. arguments, "-n", rollout.Ns], environment: environment);

            var status = await Bluegreen("status", ModelRollout.Name);
            status.ExitCode.Should().Be(0, status.Error);
            status.Output.Should().Contain("Paused").And.Contain("v2").And.Contain("golden");

            var refused = await Bluegreen("rollback", ModelRollout.Name);
            refused.ExitCode.Should().Be(3, "rollback does not apply while paused");
            (refused.Output + refused.Error).Should().Contain("Paused");

            var promoted = await Bluegreen("promote", ModelRollout.Name);
            promoted.ExitCode.Should().Be(0, promoted.Error);
            await rollout.WaitForAsync(s => s.ActiveModelVersion == "v2", "the promoted switch");

            var list = await Bluegreen("list");
            list.ExitCode.Should().Be(0, list.Error);
            list.Output.Should().Contain(ModelRollout.Name).And.Contain("v2");
        }
        finally
        {
            Directory.Delete(pathDirectory, recursive: true);
        }

        await rollout.AssertInvariantsHeldAsync();
    }
}
