using System.Text.Json.Nodes;

namespace BlueGreenOperator.Packaging.Tests.Lua;

[TestFixture]
internal sealed class ArgoCdActionTests
{
    private const string ActionAnnotation = "bluegreen.dev/action";

    private static readonly string[] Verbs = ["promote", "abort", "rollback", "retry"];

    [OneTimeSetUp]
    public void Require_lua() => ArgoCdLua.RequireInterpreter();

    [TestCaseSource(nameof(Verbs))]
    public async Task Should_add_the_action_annotation_and_keep_everything_else(string verb)
    {
        var rollout = SampleRollout.InPhase("Paused", "waiting for promote");
        rollout["metadata"]!["annotations"] = new JsonObject { ["owner"] = "fraud-team", ["note"] = "quotes \" and é survive" };

        var result = await ArgoCdLua.RunAsync(ArgoCdLua.ActionScript(verb), rollout);

        var expected = rollout.DeepClone();
        expected["metadata"]!["annotations"]![ActionAnnotation] = verb;
        JsonNode.DeepEquals(result, expected).Should().BeTrue(
            "only the annotation may change; expected {0} but the script returned {1}", expected.ToJsonString(), result.ToJsonString());
    }

    [TestCaseSource(nameof(Verbs))]
    public async Task Should_create_the_annotations_when_the_object_has_none(string verb)
    {
        var result = await ArgoCdLua.RunAsync(ArgoCdLua.ActionScript(verb), SampleRollout.InPhase("Stabilizing", "serving green"));

        var annotations = result["metadata"]!["annotations"]!.AsObject();
        annotations.Select(annotation => annotation.Key).Should().Equal(ActionAnnotation);
        ((string?)annotations[ActionAnnotation]).Should().Be(verb);
    }

    [TestCase("Initializing", false, new string[0])]
    [TestCase("Progressing", false, new[] { "abort" })]
    [TestCase("Testing", false, new[] { "abort" })]
    [TestCase("Paused", false, new[] { "promote", "abort" })]
    [TestCase("Promoting", false, new[] { "abort" })]
    [TestCase("Stabilizing", false, new[] { "rollback" })]
    [TestCase("Healthy", false, new string[0])]
    [TestCase("Healthy", true, new[] { "retry" })]
    [TestCase("Degraded", true, new[] { "retry" })]
    [TestCase("RolledBack", true, new[] { "retry" })]
    public async Task Should_enable_only_the_actions_that_apply_to_the_phase(string phase, bool aborted, string[] enabled)
    {
        var rollout = SampleRollout.InPhase(phase, "any");
        if (aborted)
        {
            SampleRollout.Status(rollout)["abortedRevision"] = "8f1e2a44";
        }

        var actions = (await ArgoCdLua.RunAsync(ArgoCdLua.DiscoveryScript, rollout)).AsObject();

        actions.Select(action => action.Key).Should().BeEquivalentTo(Verbs, "discovery lists every verb, enabled or not");
        actions.Where(action => !(bool)action.Value!["disabled"]!).Select(action => action.Key)
            .Should().BeEquivalentTo(enabled);
    }

    [Test]
    public async Task Should_offer_no_action_before_the_operator_wrote_a_status()
    {
        var actions = (await ArgoCdLua.RunAsync(ArgoCdLua.DiscoveryScript, SampleRollout.WithoutStatus())).AsObject();

        actions.Should().OnlyContain(action => (bool)action.Value!["disabled"]!);
    }
}
