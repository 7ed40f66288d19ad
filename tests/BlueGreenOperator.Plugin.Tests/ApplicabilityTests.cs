using BlueGreenOperator.Plugin.Rendering;

namespace BlueGreenOperator.Plugin.Tests;

/// <summary>The plugin decides by the operator's <see cref="ActionTable"/> and says why in words; these are the decisions people see.</summary>
public sealed class ApplicabilityTests
{
    private static BlueGreenDeploymentStatus Releasing(string phase) =>
        new() { Phase = phase, CurrentRevision = "8f1e2a44", PreviewColor = "green", PreviewRevision = "8f1e2a44" };

    [TestCase(Phase.Initializing)]
    [TestCase(Phase.Progressing)]
    [TestCase(Phase.Testing)]
    [TestCase(Phase.Paused)]
    [TestCase(Phase.Promoting)]
    [TestCase(Phase.Degraded)]
    public void Should_allow_abort_of_a_release_that_has_not_switched_in_any_phase(string phase)
    {
        Applicability.Of(RolloutAction.Abort, Releasing(phase)).Should().Be(new Applicability(true,
            "abort applies while a release has not switched yet (status.previewRevision is set)"));
    }

    [Test]
    public void Should_refuse_abort_once_nothing_is_under_test()
    {
        Applicability.Of(RolloutAction.Abort, Samples.Stabilizing().Status).Reason.Should().Be(
            "it is in phase Stabilizing; abort applies while a release has not switched yet (status.previewRevision is set); what applies now: rollback");
    }

    [Test]
    public void Should_allow_retry_only_while_the_spec_still_asks_for_the_aborted_revision()
    {
        var held = Samples.RolledBack().Status!;
        var movedOn = Samples.RolledBack().Status!;
        movedOn.CurrentRevision = "9a0b1c2d";

        Applicability.Of(RolloutAction.Retry, held).Applies.Should().BeTrue();
        var refused = Applicability.Of(RolloutAction.Retry, movedOn);
        refused.Applies.Should().BeFalse("the spec moved on: its revision is released without a retry");
        refused.Reason.Should().Be(
            "it is in phase RolledBack with revision 8f1e2a44 aborted and the spec at revision 9a0b1c2d; " +
            "retry applies when the spec's revision is the one that was aborted or rolled back (status.abortedRevision equals status.currentRevision); " +
            "no action applies now");
    }

    [Test]
    public void Should_allow_rollback_while_a_standby_is_kept_and_not_during_a_rollback_or_a_new_release()
    {
        var stabilizing = Samples.Stabilizing().Status!;
        var rollingBack = Samples.Stabilizing().Status!;
        rollingBack.RollbackStartedAt = Samples.Ago(TimeSpan.FromSeconds(3));
        var newRelease = Samples.Stabilizing().Status!;
        newRelease.PreviewRevision = "9a0b1c2d";

        Applicability.Of(RolloutAction.Rollback, stabilizing).Applies.Should().BeTrue();
        Applicability.Of(RolloutAction.Rollback, rollingBack).Applies.Should().BeFalse();
        Applicability.Of(RolloutAction.Rollback, newRelease).Applies.Should().BeFalse();
    }

    [Test]
    public void Should_name_the_phase_the_rule_and_what_applies_instead_when_refusing()
    {
        Applicability.Of(RolloutAction.Promote, Samples.Stabilizing().Status).Reason.Should().Be(
            "it is in phase Stabilizing; promote applies in phase Paused (a release passed its smoke tests and waits for a promote); what applies now: rollback");
    }

    [Test]
    public void Should_refuse_every_action_on_an_object_the_operator_has_not_reconciled()
    {
        foreach (var verb in RolloutAction.All)
        {
            var applicability = Applicability.Of(verb, null);
            applicability.Applies.Should().BeFalse();
            applicability.Reason.Should().StartWith("it has no phase yet (the operator has not reconciled it); " + verb + " applies ");
        }
    }

    [Test]
    public void Should_offer_abort_of_a_release_whose_write_is_refused()
    {
        Applicability.Of(RolloutAction.Abort, Samples.WriteRefused().Status).Applies.Should().BeTrue();
        ActionTable.Applicable(Samples.WriteRefused().Status).Should().Equal("abort");
    }

    [Test]
    public void Should_reject_a_verb_that_is_not_an_action()
    {
        var act = () => Applicability.Of("undo", Samples.Paused().Status);

        act.Should().Throw<ArgumentException>().WithMessage("\"undo\" is not an action*");
    }

    [Test]
    public void Should_patch_the_annotation_guarded_by_the_checked_resource_version()
    {
        var request = ActionRequest.Decide(RolloutAction.Promote, Samples.Paused(), force: false);

        request.Refusal.Should().BeNull();
        request.MergePatch.Should().Be("""{"metadata":{"annotations":{"bluegreen.dev/action":"promote"},"resourceVersion":"4711"}}""");
    }

    [Test]
    public void Should_refuse_with_exit_code_3_naming_object_phase_and_alternatives()
    {
        var request = ActionRequest.Decide(RolloutAction.Promote, Samples.Stabilizing(), force: false);

        request.MergePatch.Should().BeNull();
        request.Refusal!.ExitCode.Should().Be(ExitCode.ActionDoesNotApply);
        request.Refusal.Message.Should().Be(
            "cannot promote bluegreendeployment \"fraud-model\" in namespace \"ml\": it is in phase Stabilizing; " +
            "promote applies in phase Paused (a release passed its smoke tests and waits for a promote); " +
            "what applies now: rollback (--force requests it anyway)");
    }

    [Test]
    public void Should_send_a_forced_action_unguarded_whatever_the_status()
    {
        var request = ActionRequest.Decide(RolloutAction.Rollback, Samples.InvalidSpec(), force: true);

        request.Refusal.Should().BeNull();
        request.MergePatch.Should().Be("""{"metadata":{"annotations":{"bluegreen.dev/action":"rollback"}}}""");
    }

    [Test]
    public void Should_offer_retry_of_a_rolled_back_release_and_refuse_abort()
    {
        ActionRequest.Decide(RolloutAction.Retry, Samples.RolledBack(), force: false).Refusal.Should().BeNull();
        ActionRequest.Decide(RolloutAction.Abort, Samples.RolledBack(), force: false).Refusal!.Message.Should().Contain(
            "it is in phase RolledBack; abort applies while a release has not switched yet (status.previewRevision is set); what applies now: retry");
    }

    [TestCaseSource(typeof(RolloutAction), nameof(RolloutAction.All))]
    public void Should_explain_each_verb_in_its_help_with_the_operators_own_words(string verb)
    {
        Usage.For(verb).Should().Contain($"{verb} applies {ActionTable.For(verb).When}.");
    }

    [TestCase(nameof(Samples.Paused), "promote, abort")]
    [TestCase(nameof(Samples.Stabilizing), "rollback")]
    [TestCase(nameof(Samples.RolledBack), "retry")]
    [TestCase(nameof(Samples.SmokeTestsFailed), "retry")]
    [TestCase(nameof(Samples.WriteRefused), "abort")]
    [TestCase(nameof(Samples.InvalidSpec), "")]
    public void Should_list_on_the_status_page_exactly_the_actions_that_apply(string sample, string verbs)
    {
        var item = (BlueGreenDeployment)typeof(Samples).GetMethod(sample)!.Invoke(null, null)!;
        var expected = verbs.Length == 0
            ? "none apply now"
            : string.Join(", ", verbs.Split(", ").Select(verb => $"kubectl bluegreen {verb} fraud-model"));

        StatusView.Render(item, [], Samples.Now).Split('\n').Should().Contain("Actions:      " + expected);
    }
}
