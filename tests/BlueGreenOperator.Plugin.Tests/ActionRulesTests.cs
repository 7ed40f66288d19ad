namespace BlueGreenOperator.Plugin.Tests;

public sealed class ActionRulesTests
{
    private static readonly Dictionary<string, string[]> PhasesWhereApplies = new()
    {
        [RolloutAction.Promote] = [Phase.Paused],
        [RolloutAction.Abort] = [Phase.Initializing, Phase.Progressing, Phase.Testing, Phase.Paused, Phase.Promoting],
        [RolloutAction.Rollback] = [Phase.Stabilizing],
    };

    private static IEnumerable<TestCaseData> EveryPhaseAndPhaseBoundVerb() =>
        from phase in Phase.All
        from verb in PhasesWhereApplies.Keys
        select new TestCaseData(verb, phase, PhasesWhereApplies[verb].Contains(phase)).SetName($"Should_decide_{verb}_in_{phase}");

    [TestCaseSource(nameof(EveryPhaseAndPhaseBoundVerb))]
    public void Should_apply_phase_bound_verbs_exactly_in_their_phases(string verb, string phase, bool expected)
    {
        var applicability = ActionRules.Check(verb, new BlueGreenDeploymentStatus { Phase = phase });

        applicability.Applies.Should().Be(expected);
        if (!expected)
        {
            applicability.Reason.Should().Contain($"it is in phase {phase}").And.Contain($"{verb} applies only in");
        }
    }

    [TestCaseSource(typeof(Phase), nameof(Phase.All))]
    public void Should_apply_retry_in_any_phase_once_a_revision_was_aborted(string phase)
    {
        ActionRules.Check(RolloutAction.Retry, new BlueGreenDeploymentStatus { Phase = phase, AbortedRevision = "8f1e2a44" })
            .Should().Be(new Applicability(true, "revision 8f1e2a44 was aborted"));
        ActionRules.Check(RolloutAction.Retry, new BlueGreenDeploymentStatus { Phase = phase }).Applies.Should().BeFalse();
    }

    [Test]
    public void Should_name_the_phase_and_what_applies_instead_when_refusing()
    {
        var applicability = ActionRules.Check(RolloutAction.Promote, new BlueGreenDeploymentStatus { Phase = Phase.Stabilizing });

        applicability.Reason.Should().Be("it is in phase Stabilizing; promote applies only in Paused; what applies now: rollback");
    }

    [Test]
    public void Should_list_every_allowed_phase_and_say_when_nothing_applies()
    {
        ActionRules.Check(RolloutAction.Abort, new BlueGreenDeploymentStatus { Phase = Phase.Healthy }).Reason.Should().Be(
            "it is in phase Healthy; abort applies only in Initializing, Progressing, Testing, Paused or Promoting; no action applies now");
    }

    [Test]
    public void Should_refuse_every_action_on_an_object_the_operator_has_not_reconciled()
    {
        foreach (var verb in RolloutAction.All)
        {
            var applicability = ActionRules.Check(verb, null);
            applicability.Applies.Should().BeFalse();
            applicability.Reason.Should().StartWith("it has no phase yet");
        }
    }

    [Test]
    public void Should_offer_abort_and_promote_while_paused_and_retry_after_a_rollback()
    {
        ActionRules.ApplicableVerbs(new BlueGreenDeploymentStatus { Phase = Phase.Paused }).Should().Equal("promote", "abort");
        ActionRules.ApplicableVerbs(new BlueGreenDeploymentStatus { Phase = Phase.RolledBack, AbortedRevision = "8f1e2a44" }).Should().Equal("retry");
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
            "cannot promote bluegreendeployment \"fraud-model\" in namespace \"ml\": it is in phase Stabilizing; promote applies only in Paused; " +
            "what applies now: rollback (--force requests it anyway)");
    }

    [Test]
    public void Should_send_a_forced_action_unguarded_whatever_the_phase()
    {
        var request = ActionRequest.Decide(RolloutAction.Rollback, Samples.InvalidSpec(), force: true);

        request.Refusal.Should().BeNull();
        request.MergePatch.Should().Be("""{"metadata":{"annotations":{"bluegreen.dev/action":"rollback"}}}""");
    }

    [Test]
    public void Should_offer_retry_of_a_rolled_back_release()
    {
        ActionRequest.Decide(RolloutAction.Retry, Samples.RolledBack(), force: false).Refusal.Should().BeNull();
        ActionRequest.Decide(RolloutAction.Abort, Samples.RolledBack(), force: false).Refusal!.Message.Should()
            .Contain("it is in phase RolledBack; abort applies only in Initializing, Progressing, Testing, Paused or Promoting; what applies now: retry");
    }
}
