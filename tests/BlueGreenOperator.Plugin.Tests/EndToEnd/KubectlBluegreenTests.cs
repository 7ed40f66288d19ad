using BlueGreenOperator.LocalCluster.Testing;
using k8s;
using k8s.Models;

namespace BlueGreenOperator.Plugin.Tests.EndToEnd;

/// <summary>`kubectl bluegreen …` through the real kubectl against a real kube-apiserver, a namespace per test.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class KubectlBluegreenTests
{
    private static readonly TimeSpan WatchTimeout = TimeSpan.FromSeconds(60);

    private TestNamespace space = null!;

    private static IKubernetes Client => PluginCluster.Client;

    [SetUp]
    public async Task CreateNamespaceAsync() =>
        space = await TestNamespace.CreateAsync(Client, "plugin-" + TestContext.CurrentContext.Test.MethodName);

    [TearDown]
    public async Task DeleteNamespaceAsync() => await space.DisposeAsync();

    private IReadOnlyDictionary<string, string?> Environment => InstalledPlugin.Environment(PluginCluster.PluginBin, PluginCluster.Kubeconfig);

    private Task<ProcessOutcome> KubectlBluegreen(params string[] args) =>
        RealProcess.RunAsync(PluginCluster.KubectlPath, ["bluegreen", .. args, "-n", space.Name], Environment);

    private NamespaceObjects Objects => new(Client, space.Name);

    private Task<BlueGreenDeployment> CreateAsync(BlueGreenDeployment sample) => Objects.CreateAsync(sample);

    private Task<BlueGreenDeployment> WriteStatusAsync(BlueGreenDeployment item, BlueGreenDeploymentStatus status) => Objects.WriteStatusAsync(item, status);

    private Task<BlueGreenDeployment> ReadAsync(string name) => Objects.ReadAsync(name);

    private Task RecordEventAsync(BlueGreenDeployment about, string reason, string message) => Objects.RecordEventAsync(about, reason, message);

    [Test]
    public async Task Should_list_every_object_of_the_namespace_with_phase_and_versions()
    {
        await CreateAsync(Samples.Paused());
        await CreateAsync(Samples.Object("anomaly-model"));

        var outcome = await KubectlBluegreen("list");

        outcome.ExitCode.Should().Be(0, outcome.ToString());
        var lines = outcome.StandardOutput.Split('\n');
        lines[0].Should().Be("NAME            PHASE    ACTIVE   ACTIVE VERSION   PREVIEW VERSION   AGE");
        lines[1].Should().StartWith("anomaly-model   -        -        -                -                 ");
        lines[2].Should().StartWith("fraud-model     Paused   blue     2026-11-01       2026-11-20        ");
    }

    [Test]
    public async Task Should_show_status_with_the_objects_own_events()
    {
        var paused = await CreateAsync(Samples.Paused());
        await RecordEventAsync(paused, "SmokeTestsPassed", "Revision 8f1e2a44: golden passed on 1 pod");
        await CreateAsync(Samples.Object("other-model"));
        await RecordEventAsync(await ReadAsync("other-model"), "NotMine", "an event of another object");

        var outcome = await KubectlBluegreen("status", "fraud-model");

        outcome.ExitCode.Should().Be(0, outcome.ToString());
        var lines = outcome.StandardOutput.Split('\n');
        lines.Should().Contain($"Namespace:    {space.Name}");
        lines.Should().Contain("Phase:        Paused: the new colour passed its smoke tests and waits for: kubectl bluegreen promote fraud-model");
        lines.Should().Contain("  preview   green   8f1e2a44   2026-11-20      7c9f6d5b8", "the API server keeps every status field the operator writes");
        lines.Should().Contain("  golden   1/1 pod   passed   41ms      -              passed on 1 pods, slowest 41 ms");
        lines.Should().Contain(line => line.Contains("Normal   SmokeTestsPassed   Revision 8f1e2a44: golden passed on 1 pod", StringComparison.Ordinal));
        outcome.StandardOutput.Should().NotContain("NotMine");
    }

    [Test]
    public async Task Should_request_promote_of_a_paused_release_with_the_annotation()
    {
        await CreateAsync(Samples.Paused());

        var outcome = await KubectlBluegreen("promote", "fraud-model");

        outcome.ExitCode.Should().Be(0, outcome.ToString());
        outcome.StandardOutput.Should().Be(
            "bluegreendeployment.bluegreen.dev/fraud-model promote requested (phase Paused); the operator performs it once and removes the annotation\n");
        (await ReadAsync("fraud-model")).Metadata.Annotations.Should().Contain(WellKnown.ActionAnnotation, "promote");
    }

    [Test]
    public async Task Should_refuse_promote_while_stabilizing_with_exit_code_3_and_write_nothing()
    {
        var stabilizing = await CreateAsync(Samples.Stabilizing());

        var outcome = await KubectlBluegreen("promote", "fraud-model");

        outcome.ExitCode.Should().Be(3, outcome.ToString());
        outcome.StandardError.Should().Be(
            $"error: cannot promote bluegreendeployment \"fraud-model\" in namespace \"{space.Name}\": it is in phase Stabilizing; " +
            "promote applies in phase Paused (a release passed its smoke tests and waits for a promote); what applies now: rollback (--force requests it anyway)\n");
        var after = await ReadAsync("fraud-model");
        after.Metadata.ResourceVersion.Should().Be(stabilizing.Metadata.ResourceVersion, "a refused action must not write");
    }

    [Test]
    public async Task Should_force_an_action_the_phase_does_not_allow()
    {
        await CreateAsync(Samples.Stabilizing());

        var outcome = await KubectlBluegreen("abort", "fraud-model", "--force");

        outcome.ExitCode.Should().Be(0, outcome.ToString());
        (await ReadAsync("fraud-model")).Metadata.Annotations.Should().Contain(WellKnown.ActionAnnotation, "abort");
    }

    [Test]
    public async Task Should_report_a_missing_object_with_exit_code_2_for_every_verb()
    {
        foreach (var verb in new[] { "status", "promote", "abort", "rollback", "retry" })
        {
            var outcome = await KubectlBluegreen(verb, "no-such-model");

            outcome.Should().Be(new ProcessOutcome(2, "", $"error: bluegreendeployment \"no-such-model\" not found in namespace \"{space.Name}\"\n"), verb);
        }
    }

    [Test]
    public async Task Should_redraw_status_on_every_change_until_interrupted()
    {
        var paused = await CreateAsync(Samples.Paused());
        using var watch = new RunningProcess(PluginCluster.KubectlPath, ["bluegreen", "status", "fraud-model", "-n", space.Name, "--watch"], Environment);
        await watch.WaitForOutputAsync("Phase:        Paused:", WatchTimeout);

        var promoting = Samples.Paused().Status!;
        promoting.Phase = Phase.Promoting;
        await WriteStatusAsync(paused, promoting);
        await watch.WaitForOutputAsync("Phase:        Promoting:", WatchTimeout);
        await RecordEventAsync(paused, "Switched", "Switched service fraud-model to green in 9 ms");
        var stabilizing = Samples.Stabilizing().Status!;
        await WriteStatusAsync(paused, stabilizing);
        await watch.WaitForOutputAsync("Phase:        Stabilizing:", WatchTimeout);
        await watch.InterruptAsync();

        (await watch.WaitForExitAsync(WatchTimeout)).Should().Be(0, "Ctrl-C ends a watch normally");
        watch.StandardOutput.Should().Contain("Switched service fraud-model to green in 9 ms", "the events are read again on each change");
        watch.StandardError.Should().BeEmpty();
    }

    [Test]
    public async Task Should_end_a_watch_with_exit_code_2_when_the_object_is_deleted()
    {
        await CreateAsync(Samples.Paused());
        using var watch = new RunningProcess(PluginCluster.KubectlPath, ["bluegreen", "status", "fraud-model", "-n", space.Name, "-w"], Environment);
        await watch.WaitForOutputAsync("Phase:        Paused:", WatchTimeout);

        await Client.CustomObjects.DeleteNamespacedCustomObjectAsync(WellKnown.Group, WellKnown.Version, space.Name, WellKnown.Plural, "fraud-model");

        (await watch.WaitForExitAsync(WatchTimeout)).Should().Be(2, watch.StandardError);
        watch.StandardError.Should().Be($"bluegreendeployment \"fraud-model\" was deleted from namespace \"{space.Name}\"\n");
    }
}
