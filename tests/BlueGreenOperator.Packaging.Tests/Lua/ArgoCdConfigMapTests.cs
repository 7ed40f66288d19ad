using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace BlueGreenOperator.Packaging.Tests.Lua;

[TestFixture]
internal sealed class ArgoCdConfigMapTests
{
    private const string HealthKey = "resource.customizations.health.bluegreen.dev_BlueGreenDeployment";
    private const string ActionsKey = "resource.customizations.actions.bluegreen.dev_BlueGreenDeployment";

    private static V1ConfigMap ArgoCdConfigMap() =>
        KubernetesYaml.Deserialize<V1ConfigMap>(SourceTree.ReadText("examples/argocd/argocd-cm.yaml"), strict: true);

    [Test]
    public void Should_embed_the_health_script_exactly()
    {
        ArgoCdConfigMap().Data[HealthKey].Should().Be(SourceTree.ReadText("examples/argocd/health.lua"),
            "argocd-cm.yaml is generated from health.lua by hack/argocd-cm.sh");
    }

    [Test]
    public void Should_embed_the_discovery_and_every_action_script_exactly()
    {
        var actions = new YamlStream();
        actions.Load(new StringReader(ArgoCdConfigMap().Data[ActionsKey]));
        var root = (YamlMappingNode)actions.Documents.Single().RootNode;

        Scalar(root, "discovery.lua").Should().Be(SourceTree.ReadText("examples/argocd/actions/discovery.lua"));
        var definitions = ((YamlSequenceNode)root.Children[new YamlScalarNode("definitions")]).Cast<YamlMappingNode>().ToList();
        definitions.Select(definition => Scalar(definition, "name"))
            .Should().Equal("promote", "abort", "rollback", "retry");
        foreach (var definition in definitions)
        {
            Scalar(definition, "action.lua").Should().Be(
                SourceTree.ReadText($"examples/argocd/actions/{Scalar(definition, "name")}/action.lua"),
                "argocd-cm.yaml is generated from the action scripts by hack/argocd-cm.sh");
        }
    }

    [Test]
    public void Should_point_the_example_application_at_one_iris_release_in_the_tree()
    {
        var application = new YamlStream();
        application.Load(new StringReader(SourceTree.ReadText("examples/argocd/application.yaml")));
        var root = (YamlMappingNode)application.Documents.Single().RootNode;
        var source = (YamlMappingNode)((YamlMappingNode)root.Children[new YamlScalarNode("spec")]).Children[new YamlScalarNode("source")];

        Scalar(root, "kind").Should().Be("Application");
        Scalar(source, "path").Should().Be("examples/iris");
        var include = Scalar((YamlMappingNode)source.Children[new YamlScalarNode("directory")], "include");
        SourceTree.ReadText($"examples/iris/{include}").Should().Contain("kind: BlueGreenDeployment", "the Application syncs a release that exists");
        Scalar(source, "repoURL").Should().Be("https://github.com/example/bluegreen-operator.git");
    }

    private static string Scalar(YamlMappingNode mapping, string key) =>
        ((YamlScalarNode)mapping.Children[new YamlScalarNode(key)]).Value ?? string.Empty;
}
