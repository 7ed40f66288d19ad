using BlueGreenOperator.Api;
using BlueGreenOperator.Checks;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Checks.Probing;

namespace BlueGreenOperator.Tests.Checks;

/// <summary>What a per-pod run does before its checks: the model identity question (M1, M2) and the warm-up (W1, W3).</summary>
[TestFixture]
public sealed class PodGatesTests : AgainstModelServer
{
    const string OtherPod = "::ffff:127.0.0.1";

    ModelIdentity Identity(string version, string mode = IdentityMode.Metadata) => new(ModelServer.Model, version, mode, Model.Port);

    WarmupSpec Warmup(int count, Action<WarmupSpec>? edit = null)
    {
        var warmup = new WarmupSpec { Count = count, Requests = [Golden(Model.Port, edit: c => c.Name = "warm")] };
        edit?.Invoke(warmup);
        return warmup;
    }

    static IReadOnlyList<CheckTarget> TwoPods() => [Pods(1)[0], new CheckTarget("fraud-model-green-1", OtherPod)];

    Task<CheckReport> RunAsync(CheckRun run) => Runner().RunAsync(run, CancellationToken.None);

    [Test]
    public async Task Should_pass_a_pod_whose_metadata_lists_exactly_the_expected_version()
    {
        var report = await RunAsync(Smoke(Pods(1), Golden(Model.Port)) with { Gates = new PodGates(Identity("3"), null) });

        report.Passed.Should().BeTrue(report.Summary);
        report.Results.Select(r => r.Name).Should().Equal(PodGates.IdentityCheck, "golden");
        report.Results[0].Message.Should().Be("serves iris version 3");
    }

    [Test]
    public async Task Should_refuse_a_pod_that_serves_another_version_and_neither_warm_it_up_nor_test_it()
    {
        Model.For(OtherPod, new ModelBehaviour { Versions = ["1"] });

        var report = await RunAsync(Smoke(TwoPods(), Golden(Model.Port)) with { Gates = new PodGates(Identity("3"), Warmup(2)) });

        report.Passed.Should().BeFalse();
        var refused = report.Results.Single(r => !r.Passed);
        (refused.Name, refused.Pod, refused.Message).Should().Be((PodGates.IdentityCheck, "fraud-model-green-1", "serves iris version 1, expected 3"));
        report.Results.Where(r => r.Pod == "fraud-model-green-1").Should().ContainSingle("the refused pod is not tested");
        report.Warmups.Select(w => w.Pod).Should().Equal("fraud-model-green-0");
        Model.Received.Where(r => r.Host == OtherPod).Select(r => r.Method).Should().Equal(["GET"], "only the identity question reaches it");
    }

    [Test]
    public async Task Should_refuse_a_pod_that_lists_several_versions_in_metadata_mode()
    {
        Model.Behaviour = new ModelBehaviour { Versions = ["3", "4"] };

        var report = await RunAsync(Smoke(Pods(1)) with { Gates = new PodGates(Identity("3"), null) });

        report.Results.Single().Message.Should().StartWith("serves iris versions [3, 4], expected only 3");
    }

    [Test]
    public async Task Should_say_how_to_opt_out_when_a_server_reports_no_versions()
    {
        Model.Behaviour = new ModelBehaviour { Versions = null };

        var report = await RunAsync(Smoke(Pods(1)) with { Gates = new PodGates(Identity("3"), null) });

        report.Passed.Should().BeFalse();
        report.Results.Single().Message.Should().Contain("does not report the versions of iris").And.Contain("spec.model.identity.mode to None");
    }

    [Test]
    public async Task Should_ask_the_readiness_of_the_one_version_in_version_ready_mode()
    {
        Model.Behaviour = new ModelBehaviour { Versions = ["2", "3"] };

        var serves = await RunAsync(Smoke(Pods(1)) with { Gates = new PodGates(Identity("3", IdentityMode.VersionReady), null) });
        var missing = await RunAsync(Smoke(Pods(1)) with { Gates = new PodGates(Identity("5", IdentityMode.VersionReady), null) });

        serves.Passed.Should().BeTrue(serves.Summary);
        Model.Received.Select(r => r.PathAndQuery).Should().Contain("/v2/models/iris/versions/3/ready");
        missing.Results.Single().Message.Should().StartWith("does not serve iris version 5: GET /v2/models/iris/versions/5/ready answered status 404");
    }

    [Test]
    public async Task Should_ask_the_serving_pods_in_analysis_runs_too()
    {
        Model.Behaviour = new ModelBehaviour { Versions = ["hand-edited"] };

        var report = await RunAsync(Analysis(Pods(1), Golden(Model.Port)) with { Gates = new PodGates(Identity("3"), null) });

        report.Passed.Should().BeFalse();
        report.Summary.Should().Contain("model-identity on fraud-model-green-0: serves iris version hand-edited, expected 3");
    }

    [Test]
    public async Task Should_send_the_warmup_rounds_to_each_pod_before_its_smoke_tests()
    {
        var report = await RunAsync(Smoke(Pods(2), Golden(Model.Port)) with { Gates = new PodGates(null, Warmup(3)) });

        report.Passed.Should().BeTrue(report.Summary);
        report.Warmups.Should().HaveCount(2).And.OnlyContain(w => w.Requests == 3 && w.Failed == 0);
        Model.InferRequests.Should().Be(8, "3 warm-up requests and 1 smoke test per pod");
        report.Results.Select(r => r.Name).Should().Equal("golden", "golden");
    }

    [Test]
    public async Task Should_count_failed_warmup_requests_without_failing_the_run()
    {
        Model.Behaviour = new ModelBehaviour { Status = 503, ChangeAtRequest = 2, Later = new ModelBehaviour() };

        var report = await RunAsync(Smoke(Pods(1), Golden(Model.Port)) with { Gates = new PodGates(null, Warmup(3)) });

        report.Warmups.Single().Should().Be(report.Warmups.Single() with { Requests = 3, Failed = 1 });
        report.Passed.Should().BeTrue("a warm-up judges nothing; the smoke test after it passed");
    }

    [Test]
    public async Task Should_stop_warming_up_a_pod_that_fails_three_rounds_in_a_row()
    {
        var port = LocalHttpServer.UnusedPort();
        var warmup = new WarmupSpec { Count = 20, Requests = [Golden(port)] };

        var report = await RunAsync(Smoke(Pods(1)) with { Gates = new PodGates(null, warmup) });

        report.Warmups.Single().Should().Be(new PodWarmup("fraud-model-green-0", 3, 3, report.Warmups[0].FirstLatencyMs, report.Warmups[0].LastLatencyMs),
            "three rounds in a row without an answer end the warm-up");
    }

    [Test]
    public async Task Should_warm_up_the_standby_without_judging_it()
    {
        var run = new CheckRun(Namespace, CheckKind.Warmup, Color.Blue, Revision, Pods(2), []) { Gates = new PodGates(null, Warmup(4)) };

        var report = await RunAsync(run);

        report.Results.Should().BeEmpty();
        report.Warmups.Should().HaveCount(2).And.OnlyContain(w => w.Requests == 4);
        Model.InferRequests.Should().Be(8);
    }

    [Test]
    public void Should_stop_after_count_rounds_without_a_stable_window()
    {
        var warmup = new WarmupSpec { Count = 3 };

        WarmupRule.Done(warmup, [900, 400]).Should().BeFalse();
        WarmupRule.Done(warmup, [900, 400, 300]).Should().BeTrue();
    }

    [Test]
    public void Should_go_on_until_the_last_rounds_are_within_the_ratio()
    {
        var warmup = new WarmupSpec { Count = 2, StableWindow = 3, StableRatio = 1.5, MaxCount = 50 };

        WarmupRule.Done(warmup, [900, 400, 30]).Should().BeFalse("900, 400 and 30 are not stable");
        WarmupRule.Done(warmup, [900, 400, 30, 25]).Should().BeFalse("400 is still in the window");
        WarmupRule.Done(warmup, [900, 400, 30, 25, 28]).Should().BeTrue();
        WarmupRule.Done(warmup, [1, 2, 1]).Should().BeTrue("a millisecond of slack for the clock's granularity");
    }

    [Test]
    public void Should_stop_at_max_count_even_when_latency_never_settles()
    {
        var warmup = new WarmupSpec { Count = 1, StableWindow = 2, StableRatio = 1.1, MaxCount = 4 };

        WarmupRule.Done(warmup, [10, 100, 10]).Should().BeFalse();
        WarmupRule.Done(warmup, [10, 100, 10, 100]).Should().BeTrue();
    }

    [Test]
    public void Should_ask_the_first_service_ports_target_port_unless_told_otherwise_and_nothing_in_mode_none()
    {
        var spec = new BlueGreenDeploymentSpec
        {
            Model = new ModelSpec { Name = "iris", Version = "v2" },
            Service = new ServiceSpec { Name = "iris", Ports = [new ServicePortSpec { Port = 80, TargetPort = 8080 }, new ServicePortSpec { Port = 9000, TargetPort = 9000 }] },
        };

        PodGates.IdentityOf(spec).Should().Be(new ModelIdentity("iris", "v2", IdentityMode.Metadata, 8080));
        spec.Model.Identity = new ModelIdentitySpec { Port = 8081, Mode = IdentityMode.VersionReady };
        PodGates.IdentityOf(spec).Should().Be(new ModelIdentity("iris", "v2", IdentityMode.VersionReady, 8081));
        spec.Model.Identity = new ModelIdentitySpec { Mode = IdentityMode.None };
        PodGates.BeforeSmokeTests(spec).Any.Should().BeFalse();
    }
}
