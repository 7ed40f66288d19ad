using System.Text.Json.Nodes;
using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using k8s;

namespace BlueGreenOperator.Packaging.Tests.Lua;

/// <summary>
/// Argo CD's action discovery (examples/argocd/actions/discovery.lua) against the operator's own
/// <see cref="ActionTable"/>: for every phase and every combination of the status fields the table reads, each verb
/// is enabled exactly when the table says it applies.
/// </summary>
[TestFixture]
internal sealed class ArgoCdActionTableTests
{
    private const string SpecRevision = "8f1e2a44";
    private const string OtherRevision = "6c9d5f7b";

    private Dictionary<StatusCase, JsonObject> discovered = null!;

    /// <summary>What status.abortedRevision holds, relative to status.currentRevision (the spec's revision).</summary>
    internal enum Aborted
    {
        Unset,
        SpecRevision,
        OtherRevision,

        /// <summary>An aborted revision in a status written before the operator recorded currentRevision.</summary>
        WithoutCurrentRevision,
    }

    internal sealed record StatusCase(string? Phase, bool Preview, bool Standby, bool RollingBack, Aborted Aborted)
    {
        public BlueGreenDeploymentStatus Status() => new()
        {
            Phase = Phase,
            CurrentRevision = Aborted == Aborted.WithoutCurrentRevision ? null : SpecRevision,
            ActiveColor = "blue",
            ActiveRevision = OtherRevision,
            PreviewColor = Preview ? "green" : null,
            PreviewRevision = Preview ? SpecRevision : null,
            StandbyColor = Standby ? "green" : null,
            StandbyRevision = Standby ? OtherRevision : null,
            RollbackStartedAt = RollingBack ? new DateTime(2026, 11, 22, 19, 0, 0, DateTimeKind.Utc) : null,
            AbortedRevision = Aborted switch
            {
                Aborted.Unset => null,
                Aborted.OtherRevision => OtherRevision,
                _ => SpecRevision,
            },
        };

        public override string ToString() =>
            $"{Phase ?? "no phase"}, preview {(Preview ? "set" : "unset")}, standby {(Standby ? "set" : "unset")}, " +
            $"rollbackStartedAt {(RollingBack ? "set" : "unset")}, abortedRevision {Aborted}";
    }

    /// <summary>Every phase and no phase × previewRevision × standbyColor × rollbackStartedAt × abortedRevision.</summary>
    private static IEnumerable<StatusCase> Cases() =>
        from phase in Phase.All.Append(null)
        from preview in new[] { false, true }
        from standby in new[] { false, true }
        from rollingBack in new[] { false, true }
        from aborted in Enum.GetValues<Aborted>()
        select new StatusCase(phase, preview, standby, rollingBack, aborted);

    private static IEnumerable<TestCaseData> EveryCase() =>
        Cases().Select(c => new TestCaseData(c).SetArgDisplayNames(c.ToString()));

    /// <summary>The object Argo CD hands to the script: the status exactly as it is serialized to the API server.</summary>
    private static JsonObject LiveObject(StatusCase statusCase)
    {
        var rollout = SampleRollout.WithoutStatus();
        rollout["status"] = JsonNode.Parse(KubernetesJson.Serialize(statusCase.Status()));
        return rollout;
    }

    [OneTimeSetUp]
    public async Task Run_discovery_for_every_case_in_one_interpreter()
    {
        ArgoCdLua.RequireInterpreter();
        var cases = Cases().ToList();
        var results = await ArgoCdLua.RunEachAsync(ArgoCdLua.DiscoveryScript, [.. cases.Select(LiveObject)]);
        discovered = cases.Zip(results, (c, result) => (c, result!.AsObject())).ToDictionary(pair => pair.c, pair => pair.Item2);
    }

    [TestCaseSource(nameof(EveryCase))]
    public void Should_enable_a_verb_exactly_when_the_operators_action_table_applies_it(StatusCase statusCase)
    {
        var actions = discovered[statusCase];
        var status = statusCase.Status();

        actions.Select(action => action.Key).Should().BeEquivalentTo(ActionTable.Rows.Select(row => row.Verb), "discovery lists every verb, enabled or not");
        foreach (var row in ActionTable.Rows)
        {
            var applies = ActionTable.Applies(row.Verb, status);
            ((bool)actions[row.Verb]!["disabled"]!).Should().Be(!applies,
                "the action table says {0} {1} to this status ({0} applies {2})", row.Verb, applies ? "applies" : "does not apply", row.When);
        }
    }

    [Test]
    public void Should_cover_every_phase_and_combination_and_see_each_verb_both_enabled_and_disabled()
    {
        var cases = Cases().ToList();

        cases.Should().HaveCount((Phase.All.Count + 1) * 2 * 2 * 2 * Enum.GetValues<Aborted>().Length).And.OnlyHaveUniqueItems();
        cases.Select(c => c.Phase).Distinct().Should().BeEquivalentTo(Phase.All.Append(null));
        foreach (var row in ActionTable.Rows)
        {
            cases.Select(c => row.Applies(c.Status())).Distinct().Should().HaveCount(2, "{0} must be both applicable and not among the cases", row.Verb);
        }
    }

    [Test]
    public void Should_read_only_status_fields_the_crd_keeps()
    {
        var fields = SampleRollout.CrdStatusSchema().Select(field => field.Key);
        var everythingSet = new StatusCase(Phase.Paused, Preview: true, Standby: true, RollingBack: true, Aborted.SpecRevision);

        LiveObject(everythingSet)["status"]!.AsObject().Select(field => field.Key)
            .Should().BeSubsetOf(fields, "the API server would prune a field its schema does not name, and discovery would never see it");
    }

    [TestCase(Phase.Initializing, Description = "a first release")]
    [TestCase(Phase.Degraded, Description = "a release whose write the API server refuses")]
    public void Should_offer_abort_of_a_release_that_has_not_switched_whatever_its_phase(string phase)
    {
        var actions = discovered[new StatusCase(phase, Preview: true, Standby: false, RollingBack: false, Aborted.Unset)];

        ((bool)actions["abort"]!["disabled"]!).Should().BeFalse();
    }

    [Test]
    public void Should_not_offer_retry_once_the_spec_moved_on_from_the_aborted_revision()
    {
        var held = discovered[new StatusCase(Phase.RolledBack, Preview: false, Standby: false, RollingBack: false, Aborted.SpecRevision)];
        var movedOn = discovered[new StatusCase(Phase.Progressing, Preview: true, Standby: false, RollingBack: false, Aborted.OtherRevision)];

        ((bool)held["retry"]!["disabled"]!).Should().BeFalse();
        ((bool)movedOn["retry"]!["disabled"]!).Should().BeTrue();
    }
}
