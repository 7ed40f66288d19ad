using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Rollout;

[TestFixture]
public sealed class RevisionHashTests
{
    [Test]
    public void Should_be_a_short_lowercase_hex_string()
    {
        RevisionHash.Compute(Given.Resource().Spec).Should().MatchRegex("^[0-9a-f]{10}$");
    }

    [Test]
    public void Should_give_the_same_value_in_every_process_for_the_same_input()
    {
        // A pinned value: any change to the canonical form would silently restart every rollout in every cluster.
        RevisionHash.Compute(Given.Resource("v1").Spec).Should().Be(PinnedV1);
    }

    [Test]
    public void Should_change_with_the_model_version_or_the_template_only()
    {
        var v1 = Given.Resource("v1").Spec;
        var v1Again = Given.Resource("v1").Spec;
        var otherVersionSameTemplate = Given.Resource("v1").Spec;
        otherVersionSameTemplate.Model.Version = "v1-fixed";
        var otherImage = Given.Resource("v1").Spec;
        otherImage.Template.Spec.Containers[0].Image += "-patched";
        var otherSize = Given.Resource("v1", s => { s.Replicas = 9; s.Strategy.StandbyReplicas = 0; s.SmokeTests.Clear(); }).Spec;

        RevisionHash.Compute(v1Again).Should().Be(RevisionHash.Compute(v1));
        RevisionHash.Compute(otherSize).Should().Be(RevisionHash.Compute(v1), "size, strategy and checks are not part of a release");
        RevisionHash.Compute(otherVersionSameTemplate).Should().NotBe(RevisionHash.Compute(v1));
        RevisionHash.Compute(otherImage).Should().NotBe(RevisionHash.Compute(v1));
    }

    [Test]
    public void Should_not_depend_on_the_order_of_keys_in_the_stored_template()
    {
        const string ordered = """{"model":{"name":"m","version":"v1"},"service":{"name":"s","ports":[]},"template":{"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}""";
        const string shuffled = """{"template":{"spec":{"containers":[{"image":"i","name":"c"}]},"metadata":{"labels":{"b":"2","a":"1"}}},"service":{"ports":[],"name":"s"},"model":{"version":"v1","name":"m"}}""";

        var a = KubernetesJson.Deserialize<BlueGreenDeploymentSpec>(ordered);
        var b = KubernetesJson.Deserialize<BlueGreenDeploymentSpec>(shuffled);

        RevisionHash.Compute(a).Should().Be(RevisionHash.Compute(b));
    }

    [Test]
    public void Should_ignore_a_null_field_that_another_writer_leaves_out()
    {
        var withNull = Given.Resource("v1").Spec;
        withNull.Template.Spec.Containers[0].Args = null;
        var withoutNullLabels = Given.Resource("v1").Spec;
        withoutNullLabels.Template.Spec.Containers[0].Args = null;
        withoutNullLabels.Template.Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "iris" }, Annotations = null };

        RevisionHash.Compute(withNull).Should().Be(RevisionHash.Compute(withoutNullLabels));
    }

    const string PinnedV1 = "9aa6f96d4b";
}
