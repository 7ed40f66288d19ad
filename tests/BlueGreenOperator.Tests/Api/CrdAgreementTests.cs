using System.Collections;
using System.ComponentModel.DataAnnotations;
using System.Reflection;
using System.Text.Json.Serialization;
using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Api;

/// <summary>The CRD and the C# types describe the same object, field by field, in both directions.</summary>
[TestFixture]
public sealed class CrdAgreementTests
{
    static readonly string CrdPath = Path.Combine(TestContext.CurrentContext.TestDirectory, "crds", "bluegreendeployments.bluegreen.dev.yaml");

    static V1CustomResourceDefinition LoadCrd() => KubernetesYaml.Deserialize<V1CustomResourceDefinition>(File.ReadAllText(CrdPath));

    static V1JSONSchemaProps Schema() => LoadCrd().Spec.Versions.Single().Schema.OpenAPIV3Schema;

    [Test]
    public void Should_name_the_resource_as_the_api_constants_do()
    {
        var crd = LoadCrd();

        crd.Metadata.Name.Should().Be($"{WellKnown.Plural}.{WellKnown.Group}");
        crd.Spec.Group.Should().Be(WellKnown.Group);
        crd.Spec.Names.Kind.Should().Be(WellKnown.Kind);
        crd.Spec.Names.Plural.Should().Be(WellKnown.Plural);
        crd.Spec.Names.ShortNames.Should().Equal(WellKnown.ShortName);
        crd.Spec.Scope.Should().Be("Namespaced");
        var version = crd.Spec.Versions.Single();
        version.Name.Should().Be(WellKnown.Version);
        version.Subresources.Status.Should().NotBeNull();
        version.AdditionalPrinterColumns.Select(c => c.Name).Should().Equal("Phase", "Active", "Active Version", "Preview Version", "Age");
    }

    [Test]
    public void Should_agree_with_the_csharp_types_field_by_field_in_both_directions()
    {
        var differences = new List<string>();

        Compare("", typeof(BlueGreenDeployment), Schema(), differences);

        differences.Should().BeEmpty();
    }

    [Test]
    public void Should_notice_a_field_missing_from_the_crd()
    {
        var schema = Schema();
        schema.Properties["spec"].Properties["strategy"].Properties.Remove("standbyReplicas");
        schema.Properties["status"].Properties["analysis"].Properties["runs"].Type = "string";
        var differences = new List<string>();

        Compare("", typeof(BlueGreenDeployment), schema, differences);

        differences.Should().BeEquivalentTo(
            ".spec.strategy.standbyReplicas: in C# but not in the CRD",
            ".status.analysis.runs: C# Int32 is integer, the CRD says string");
    }

    [Test]
    public void Should_describe_every_field_for_kubectl_explain_as_the_csharp_documentation_does()
    {
        var differences = new List<string>();

        CrdDescriptions.Compare(typeof(BlueGreenDeployment), Schema(), differences);

        differences.Should().BeEmpty();
    }

    [Test]
    public void Should_notice_a_field_without_a_description()
    {
        var schema = Schema();
        schema.Properties["spec"].Properties["strategy"].Properties["progressDeadlineSeconds"].Description = null;
        schema.Properties["spec"].Properties["template"].Properties["spec"].Properties["nodeSelector"].Description = null;
        schema.Properties["status"].Properties["parity"].Properties["message"].Description = " ";
        var differences = new List<string>();

        CrdDescriptions.Compare(typeof(BlueGreenDeployment), schema, differences);

        differences.Should().BeEquivalentTo(
            ".spec.strategy.progressDeadlineSeconds: no description",
            ".spec.template.spec.nodeSelector: no description",
            ".status.parity.message: no description");
    }

    [Test]
    public void Should_notice_a_description_that_disagrees_with_the_csharp_documentation()
    {
        var schema = Schema();
        var spec = schema.Properties["spec"];
        spec.Properties["replicas"].Description = "How many pods. Default: 1. From 1 to 1000.";
        spec.Properties["template"].Properties["spec"].Properties["affinity"].Description = "Where the pods go.";
        var differences = new List<string>();

        CrdDescriptions.Compare(typeof(BlueGreenDeployment), schema, differences);

        differences.Should().HaveCount(2).And.Satisfy(
            d => d.StartsWith(".spec.replicas: the CRD says \"How many pods. Default: 1. From 1 to 1000.\", C# says \"Pods of the serving colour", StringComparison.Ordinal),
            d => d == ".spec.template.spec.affinity: the CRD says \"Where the pods go.\", Kubernetes' documentation begins \"If specified, the pod's scheduling constraints\"");
    }

    [Test]
    public void Should_notice_a_description_that_does_not_name_a_default_or_a_bound()
    {
        var schema = Schema();
        var strategy = schema.Properties["spec"].Properties["strategy"].Properties;
        strategy["progressDeadlineSeconds"].DefaultProperty = 900;
        strategy["scaleDownDelaySeconds"].Maximum = 86400;
        schema.Properties["spec"].Properties["service"].Properties["ports"].Items = KubernetesJson.Deserialize<V1JSONSchemaProps>(
            KubernetesJson.Serialize(Items(schema.Properties["spec"].Properties["service"].Properties["ports"])).Replace("\"SCTP\"", "\"QUIC\"", StringComparison.Ordinal));
        var differences = new List<string>();

        CrdDescriptions.Compare(typeof(BlueGreenDeployment), schema, differences);

        differences.Should().BeEquivalentTo(
            ".spec.strategy.progressDeadlineSeconds: the description does not name its default 900",
            ".spec.strategy.scaleDownDelaySeconds: the description does not name its maximum 86400",
            ".spec.service.ports[].protocol: the description does not name its allowed value QUIC");
    }

    [Test]
    public void Should_render_a_summary_as_plain_text_with_one_space_between_words()
    {
        var summary = System.Xml.Linq.XElement.Parse(
            "<summary>\n  Selects <c>&lt;name&gt;-preview</c>;\n  see <see cref=\"T:BlueGreenOperator.Api.ComparisonModes\"/>.\n</summary>");

        CrdDescriptions.PlainText(summary).Should().Be("Selects <name>-preview; see ComparisonModes.");
        CrdDescriptions.FirstSentence("Number of port to expose, e.g. 8080. Must be a valid port.").Should().Be("Number of port to expose, e.g. 8080.");
        CrdDescriptions.FirstSentence("If specified, the pod's scheduling constraints").Should().Be("If specified, the pod's scheduling constraints");
    }

    [Test]
    public void Should_enumerate_exactly_the_phases_the_planner_uses()
    {
        var phases = Schema().Properties["status"].Properties["phase"].EnumProperty.Select(e => e.ToString());

        phases.Should().Equal(Phase.All);
    }

    [Test]
    public void Should_enumerate_exactly_the_inference_datatypes_the_validator_accepts()
    {
        var datatypes = Items(Items(Schema().Properties["spec"].Properties["smokeTests"])
            .Properties["inference"].Properties["inputs"]).Properties["datatype"].EnumProperty.Select(e => e.ToString());

        datatypes.Should().BeEquivalentTo(SpecValidator.Datatypes);
    }

    [Test]
    public void Should_default_what_the_csharp_types_default()
    {
        var strategy = Schema().Properties["spec"].Properties["strategy"].Properties;
        var defaults = new StrategySpec();

        Number(strategy["progressDeadlineSeconds"].DefaultProperty).Should().Be(defaults.ProgressDeadlineSeconds);
        Number(strategy["scaleDownDelaySeconds"].DefaultProperty).Should().Be(defaults.ScaleDownDelaySeconds);
        Number(strategy["standbyReplicas"].DefaultProperty).Should().Be(defaults.StandbyReplicas);
        Number(strategy["stabilizationSeconds"].DefaultProperty).Should().Be(defaults.StabilizationSeconds);
        strategy["autoPromote"].DefaultProperty.ToString().Should().BeEquivalentTo(defaults.AutoPromote.ToString());
    }

    [Test]
    public void Should_default_the_warmup_and_the_identity_question_as_the_csharp_types_do()
    {
        var spec = Schema().Properties["spec"].Properties;
        var warmup = spec["warmup"].Properties;
        var defaults = new WarmupSpec();

        Number(warmup["count"].DefaultProperty).Should().Be(defaults.Count);
        Number(warmup["maxCount"].DefaultProperty).Should().Be(defaults.MaxCount);
        Number(warmup["stableWindow"].DefaultProperty).Should().Be(defaults.StableWindow);
        Number(warmup["standbyIntervalSeconds"].DefaultProperty).Should().Be(defaults.StandbyIntervalSeconds);
        double.Parse(warmup["stableRatio"].DefaultProperty.ToString()!, System.Globalization.CultureInfo.InvariantCulture).Should().Be(defaults.StableRatio);
        var mode = spec["model"].Properties["identity"].Properties["mode"];
        mode.DefaultProperty.ToString().Should().Be(new ModelIdentitySpec().Mode);
        mode.EnumProperty.Select(e => e.ToString()).Should().Equal(IdentityMode.All);
    }

    static V1JSONSchemaProps Items(V1JSONSchemaProps schema) => CrdDescriptions.Node(schema.Items);

    static long Number(object value) => Convert.ToInt64(value.ToString(), System.Globalization.CultureInfo.InvariantCulture);

    // Walks a C# type and a schema together and records every disagreement of name, type or required-ness.
    static void Compare(string path, Type type, V1JSONSchemaProps schema, List<string> differences)
    {
        if (type == typeof(V1ObjectMeta) || type == typeof(V1PodTemplateSpec))
        {
            if (schema.Type != "object")
                differences.Add($"{path}: expected an object");
            if (type == typeof(V1PodTemplateSpec))
                ComparePodTemplate(path, schema, differences);
            return;
        }

        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        // A Kubernetes type the CRD keeps as it is (e.g. an affinity): the API server's own validation applies where it is used.
        if (underlying.Namespace?.StartsWith("k8s", StringComparison.Ordinal) == true && schema.Type == "object" && schema.XKubernetesPreserveUnknownFields == true)
            return;
        var expected = JsonType(underlying);
        if (schema.Type != expected)
        {
            differences.Add($"{path}: C# {underlying.Name} is {expected}, the CRD says {schema.Type}");
            return;
        }

        if (expected == "array")
        {
            Compare(path + "[]", CrdDescriptions.ElementType(underlying), Items(schema), differences);
            return;
        }

        if (expected != "object")
            return;

        if (underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(IDictionary<,>))
        {
            if (schema.AdditionalProperties is null)
                differences.Add($"{path}: a map needs additionalProperties");
            return;
        }

        var properties = underlying.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Name: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name))
            .Where(p => p.Name is not null)
            .ToDictionary(p => p.Name!, p => p.Property);
        var schemaProperties = schema.Properties ?? new Dictionary<string, V1JSONSchemaProps>();

        foreach (var (name, property) in properties)
        {
            if (!schemaProperties.TryGetValue(name, out var child))
                differences.Add($"{path}.{name}: in C# but not in the CRD");
            else
                Compare($"{path}.{name}", property.PropertyType, child, differences);
        }

        foreach (var name in schemaProperties.Keys.Where(n => !properties.ContainsKey(n)))
            differences.Add($"{path}.{name}: in the CRD but not in C#");

        if (underlying.Namespace?.StartsWith("k8s", StringComparison.Ordinal) == true)
            return;
        var requiredInCSharp = properties.Where(p => p.Value.GetCustomAttribute<RequiredAttribute>() is not null).Select(p => p.Key).Order();
        var requiredInCrd = (schema.Required ?? []).Order();
        if (!requiredInCSharp.SequenceEqual(requiredInCrd))
            differences.Add($"{path}: required is [{string.Join(", ", requiredInCSharp)}] in C#, [{string.Join(", ", requiredInCrd)}] in the CRD");
    }

    // A pod template is checked where it matters (containers with a name and an image) and keeps the pod fields it does not list.
    static void ComparePodTemplate(string path, V1JSONSchemaProps schema, List<string> differences)
    {
        if (schema.XKubernetesPreserveUnknownFields == true)
            differences.Add($"{path}: a template holds only metadata and spec; it must not preserve unknown fields");
        if (schema.Required?.Contains("spec") != true)
            differences.Add($"{path}: spec must be required");
        var spec = schema.Properties is { } templateFields && templateFields.TryGetValue("spec", out var s) ? s : null;
        if (spec?.XKubernetesPreserveUnknownFields != true)
            differences.Add($"{path}.spec: pod fields the schema does not list must be kept");
        var containers = spec?.Properties is { } podFields && podFields.TryGetValue("containers", out var c) ? c : null;
        if (containers?.Type != "array" || containers.MinItems != 1 || spec?.Required?.Contains("containers") != true)
            differences.Add($"{path}.spec.containers: must be a required array of at least one container");
        else if (!new[] { "image", "name" }.SequenceEqual((Items(containers).Required ?? []).Order()))
            differences.Add($"{path}.spec.containers[]: a container must require a name and an image");
    }

    static string JsonType(Type type)
    {
        if (type == typeof(string) || type == typeof(DateTime))
            return "string";
        if (type == typeof(int) || type == typeof(long))
            return "integer";
        if (type == typeof(double))
            return "number";
        if (type == typeof(bool))
            return "boolean";
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>))
            return "object";
        if (typeof(IEnumerable).IsAssignableFrom(type))
            return "array";
        return "object";
    }
}
