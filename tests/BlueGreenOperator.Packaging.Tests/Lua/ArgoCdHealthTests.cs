using System.Text.Json.Nodes;

namespace BlueGreenOperator.Packaging.Tests.Lua;

[TestFixture]
internal sealed class ArgoCdHealthTests
{
    [OneTimeSetUp]
    public void Require_lua() => ArgoCdLua.RequireInterpreter();

    [Test]
    public async Task Should_report_progressing_while_the_operator_has_not_written_a_status()
    {
        var health = await ArgoCdLua.RunAsync(ArgoCdLua.HealthScript, SampleRollout.WithoutStatus());

        Expect(health, "Progressing", "Waiting for the operator");
    }

    [TestCase("Initializing", "Progressing", "Creating fraud-model-blue")]
    [TestCase("Progressing", "Progressing", "Waiting for fraud-model-green: 1 of 3 pods available")]
    [TestCase("Testing", "Progressing", "Smoke tests: 2 of 3 pods passed")]
    [TestCase("Paused", "Suspended", "Revision 8f1e2a44 passed smoke tests; waiting for promote")]
    [TestCase("Promoting", "Progressing", "Scaling fraud-model-green to 3")]
    [TestCase("Stabilizing", "Progressing", "Serving green; analysis 4 of 240 passed")]
    [TestCase("Healthy", "Healthy", "Serving green (model 2026-11-20)")]
    [TestCase("Degraded", "Degraded", "Smoke test golden failed on fraud-model-green-7d9c-x2k4p")]
    [TestCase("RolledBack", "Degraded", "Analysis failed twice; rolled back to blue")]
    public async Task Should_map_every_phase_to_the_argo_cd_health_with_the_operator_message(string phase, string expectedStatus, string message)
    {
        var health = await ArgoCdLua.RunAsync(ArgoCdLua.HealthScript, SampleRollout.InPhase(phase, message));

        Expect(health, expectedStatus, message);
    }

    [Test]
    public void Should_cover_every_phase_of_the_api()
    {
        var covered = typeof(ArgoCdHealthTests)
            .GetMethod(nameof(Should_map_every_phase_to_the_argo_cd_health_with_the_operator_message))!
            .GetCustomAttributes(typeof(TestCaseAttribute), false)
            .Cast<TestCaseAttribute>()
            .Select(testCase => (string)testCase.Arguments[0]!);

        covered.Should().BeEquivalentTo(SampleRollout.Phases);
    }

    [Test]
    public void Should_know_exactly_the_phases_and_status_fields_of_the_crd()
    {
        var status = SampleRollout.CrdStatusSchema();

        status["phase"]!["enum"]!.AsArray().Select(phase => (string?)phase).Should().Equal(SampleRollout.Phases);
        var sample = SampleRollout.Status(SampleRollout.InPhase("Degraded", "any"));
        sample["abortedRevision"] = "8f1e2a44";
        status.Select(field => field.Key).Should().Contain(sample.Select(field => field.Key), "the samples use only status fields the operator can write");
        status["conditions"]!["items"]!["properties"]!.AsObject().Select(field => field.Key)
            .Should().Contain(sample["conditions"]![0]!.AsObject().Select(field => field.Key));
    }

    [Test]
    public async Task Should_report_degraded_with_the_condition_message_for_an_invalid_spec()
    {
        var rollout = SampleRollout.InPhase("Degraded", message: "");
        SampleRollout.Status(rollout).Remove("message");
        SampleRollout.SetCondition(rollout, SampleRollout.Condition("Degraded", "True", "InvalidSpec", "spec.strategy.standbyReplicas (5) exceeds spec.replicas (3)"));

        var health = await ArgoCdLua.RunAsync(ArgoCdLua.HealthScript, rollout);

        Expect(health, "Degraded", "spec.strategy.standbyReplicas (5) exceeds spec.replicas (3)");
    }

    [Test]
    public async Task Should_report_degraded_when_the_degraded_condition_is_true_whatever_the_phase()
    {
        var rollout = SampleRollout.InPhase("Healthy", "Serving blue; spec rejected");
        SampleRollout.SetCondition(rollout, SampleRollout.Condition("Degraded", "True", "InvalidSpec", "duplicate smoke test name golden"));

        var health = await ArgoCdLua.RunAsync(ArgoCdLua.HealthScript, rollout);

        Expect(health, "Degraded", "Serving blue; spec rejected");
    }

    [Test]
    public async Task Should_report_degraded_for_an_aborted_release()
    {
        var rollout = SampleRollout.InPhase("Degraded", "Release 8f1e2a44 aborted: progress deadline of 600s exceeded; blue keeps serving");
        SampleRollout.Status(rollout)["abortedRevision"] = "8f1e2a44";
        SampleRollout.SetCondition(rollout, SampleRollout.Condition("Degraded", "True", "ProgressDeadlineExceeded"));

        var health = await ArgoCdLua.RunAsync(ArgoCdLua.HealthScript, rollout);

        Expect(health, "Degraded", "Release 8f1e2a44 aborted: progress deadline of 600s exceeded; blue keeps serving");
    }

    [TestCase("InvalidSpec", "Invalid spec: strategy.standbyReplicas (5) must not exceed replicas (3)")]
    [TestCase("NameConflict", "Service fraud-model exists and is not owned by this BlueGreenDeployment")]
    [TestCase("WriteRefused", "Scaling blue to 1 was refused by the API server (422 Invalid): spec.replicas: Invalid value")]
    [TestCase("TemplateLost", "The serving Deployment fraud-model-blue is gone and the template of revision 6c9d5f7b is not kept: it cannot be restored")]
    [TestCase("RollbackImpossible", "Revision 6c9d5f7b failed its analysis but no standby was left to roll back to; it keeps serving")]
    [TestCase("ReleaseAborted", "Revision 8f1e2a44 was aborted; change the spec or use the retry action")]
    [TestCase("SmokeTestsFailed", "Revision 8f1e2a44 failed smoke tests on green: golden failed on 2 of 3 pods")]
    [TestCase("ProgressDeadlineExceeded", "Revision 8f1e2a44 on green: not available (1/3 available) within 600s")]
    [TestCase("Aborted", "Revision 8f1e2a44 aborted by the abort action")]
    [TestCase("RolledBack", "Rolled back to revision 6c9d5f7b on blue; revision 8f1e2a44 is aborted until the spec changes or a retry action")]
    public async Task Should_report_degraded_with_the_operators_message_for_every_degraded_reason(string reason, string message)
    {
        var rollout = SampleRollout.InPhase(reason == "RolledBack" ? "RolledBack" : "Degraded", message);
        SampleRollout.SetCondition(rollout, SampleRollout.Condition("Degraded", "True", reason, message));

        var health = await ArgoCdLua.RunAsync(ArgoCdLua.HealthScript, rollout);

        Expect(health, "Degraded", message);
    }

    [Test]
    public async Task Should_report_degraded_with_the_API_servers_reason_when_a_write_of_a_release_is_refused()
    {
        // A release under test (previewRevision set, not switched) whose Deployment write a ResourceQuota refuses.
        const string refused = "Writing Deployment green at revision 8f1e2a44 was refused by the API server (403 Forbidden): " +
            "deployments.apps \"fraud-model-green\" is forbidden: exceeded quota: compute, requested: requests.cpu=3, used: requests.cpu=3, limited: requests.cpu=4";
        var rollout = SampleRollout.InPhase("Degraded", refused);
        SampleRollout.SetCondition(rollout, SampleRollout.Condition("Progressing", "False", "WriteRefused", refused));
        SampleRollout.SetCondition(rollout, SampleRollout.Condition("Degraded", "True", "WriteRefused", refused));

        var health = await ArgoCdLua.RunAsync(ArgoCdLua.HealthScript, rollout);

        ((string?)SampleRollout.Status(rollout)["previewRevision"]).Should().Be("8f1e2a44", "the release has not switched");
        Expect(health, "Degraded", refused);
    }

    [TestCase("Healthy")]
    [TestCase("Degraded")]
    [TestCase("Paused")]
    public async Task Should_report_progressing_while_the_operator_has_not_observed_the_latest_generation(string phase)
    {
        var rollout = SampleRollout.InPhase(phase, "from the previous generation", observedGeneration: SampleRollout.Generation - 1);

        var health = await ArgoCdLua.RunAsync(ArgoCdLua.HealthScript, rollout);

        Expect(health, "Progressing", $"Waiting for the operator to observe generation {SampleRollout.Generation}");
    }

    [Test]
    public async Task Should_fall_back_to_a_phase_message_when_the_operator_wrote_none()
    {
        var rollout = SampleRollout.InPhase("Healthy", message: "");

        var health = await ArgoCdLua.RunAsync(ArgoCdLua.HealthScript, rollout);

        Expect(health, "Healthy", "Serving");
    }

    [Test]
    public async Task Should_report_unknown_for_a_phase_it_does_not_know()
    {
        var health = await ArgoCdLua.RunAsync(ArgoCdLua.HealthScript, SampleRollout.InPhase("Exploding", message: ""));

        Expect(health, "Unknown", "Unknown phase Exploding");
    }

    private static void Expect(JsonNode health, string status, string message)
    {
        health.AsObject().Select(property => property.Key).Should().BeEquivalentTo("status", "message");
        ((string?)health["status"]).Should().Be(status);
        ((string?)health["message"]).Should().Be(message);
    }
}
