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

    [Test]
    public async Task Should_offer_no_action_before_the_operator_wrote_a_status()
    {
        var actions = (await ArgoCdLua.RunAsync(ArgoCdLua.DiscoveryScript, SampleRollout.WithoutStatus())).AsObject();

        actions.Should().OnlyContain(action => (bool)action.Value!["disabled"]!);
    }
}
