using System.Text.Json.Nodes;
using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Rollout;

/// <summary>Malformed and hostile specs end as InvalidSpec with a clear message, never as an exception or a workload write.</summary>
[TestFixture]
public sealed class SpecValidationTests
{
    static IEnumerable<TestCaseData> BadSpecs()
    {
        yield return Case("negative replicas", s => s.Replicas = -3, "spec.replicas");
        yield return Case("absurd replicas", s => s.Replicas = int.MaxValue, "spec.replicas");
        yield return Case("standby above replicas", s => s.Strategy.StandbyReplicas = 4, "standbyReplicas");
        yield return Case("negative standby", s => s.Strategy.StandbyReplicas = -1, "standbyReplicas");
        yield return Case("preview above replicas", s => s.Strategy.PreviewReplicas = 5, "previewReplicas");
        yield return Case("zero preview", s => s.Strategy.PreviewReplicas = 0, "previewReplicas");
        yield return Case("negative deadline", s => s.Strategy.ProgressDeadlineSeconds = -1, "progressDeadlineSeconds");
        yield return Case("absurd stabilization", s => s.Strategy.StabilizationSeconds = int.MaxValue, "stabilizationSeconds");
        yield return Case("duplicate smoke test names", s => s.SmokeTests.Add(new CheckSpec { Name = "ready", Http = new HttpCheckSpec { Port = 8080 } }), "used twice");
        yield return Case("check with two kinds", s => s.SmokeTests[0].Inference = Golden(), "exactly one");
        yield return Case("check with no kind", s => s.SmokeTests[0].Http = null, "exactly one");
        yield return Case("prometheus in a smoke test", s => { s.SmokeTests[0].Http = null; s.SmokeTests[0].Prometheus = new PrometheusCheckSpec { Query = "up", Min = 1 }; }, "only allowed in spec.analysis");
        yield return Case("unknown datatype", s => s.SmokeTests.Add(Check("golden", Golden(datatype: "FP128"))), "datatype 'FP128'");
        yield return Case("string tensor", s => s.SmokeTests.Add(Check("golden", Golden(datatype: "BYTES"))), "datatype 'BYTES'");
        yield return Case("shape and data disagree", s => s.SmokeTests.Add(Check("golden", Golden(shape: [2, 4]))), "needs 8");
        yield return Case("absurd tensor", s => s.SmokeTests.Add(Check("golden", Golden(shape: [100000, 100000]))), "at most 65536");
        yield return Case("negative dimension", s => s.SmokeTests.Add(Check("golden", Golden(shape: [-1, 4]))), "positive dimensions");
        yield return Case("not a number", s => s.SmokeTests.Add(Check("golden", Golden(data: [double.NaN, 1, 2, 3]))), "finite");
        yield return Case("negative tolerance", s => { var g = Golden(); g.ExpectOutputs[0].Tolerance = -1; s.SmokeTests.Add(Check("golden", g)); }, "tolerance");
        yield return Case("port out of range", s => s.SmokeTests[0].Http!.Port = 70000, "port");
        yield return Case("url instead of a path", s => s.SmokeTests[0].Http!.Path = "http://169.254.169.254/latest", "absolute path");
        yield return Case("unknown method", s => s.SmokeTests[0].Http!.Method = "TRACE", "method");
        yield return Case("zero repeat", s => s.SmokeTests[0].Repeat = 0, "repeat");
        yield return Case("service name not dns", s => s.Service.Name = "Fraud_Model", "DNS-1035");
        yield return Case("preview equals active", s => s.Service.PreviewName = s.Service.Name, "must differ");
        yield return Case("no ports", s => s.Service.Ports.Clear(), "at least one port");
        yield return Case("duplicate ports", s => s.Service.Ports.Add(new ServicePortSpec { Name = "again", Port = 80, TargetPort = 8081 }), "listed twice");
        yield return Case("model version not a label", s => s.Model.Version = "v1/../../etc", "label value");
        yield return Case("no containers", s => s.Template.Spec.Containers.Clear(), "at least one container");
        yield return Case("container without image", s => s.Template.Spec.Containers[0].Image = "", "needs a name and an image");
        yield return Case("analysis limit zero", s => s.Analysis = new AnalysisSpec { FailureLimit = 0 }, "failureLimit");
        yield return Case("unknown identity mode", s => s.Model.Identity = new ModelIdentitySpec { Mode = "Guess" }, "spec.model.identity.mode 'Guess'");
        yield return Case("identity port out of range", s => s.Model.Identity = new ModelIdentitySpec { Port = 0 }, "spec.model.identity.port");
        yield return Case("a check named like the identity question", s => s.SmokeTests[0].Name = PodGates.IdentityCheck, "model identity question");
        yield return Case("an analysis check named like the replay after the switch", s =>
        {
            s.Replay = new ReplaySpec { Lines = ["{}"], Port = 8080, Model = "iris", AfterSwitch = true };
            s.Analysis = new AnalysisSpec { Checks = [Check("replay", Golden())] };
        }, "is the replay's");
        yield return Case("prometheus in a warm-up", s => s.Warmup = new WarmupSpec { Requests = [new CheckSpec { Name = "q", Prometheus = new PrometheusCheckSpec { Query = "up", Min = 1 } }] }, "spec.warmup.requests[0].prometheus");
        yield return Case("too many warm-up requests", s => s.Warmup = new WarmupSpec { Requests = [.. Enumerable.Range(0, 9).Select(i => Check($"w{i}", Golden()))] }, "at most 8");
        yield return Case("warm-up ratio below one", s => s.Warmup = new WarmupSpec { StableRatio = 0.5, Requests = [Check("w", Golden())] }, "stableRatio");
        yield return Case("zero warm-up count", s => s.Warmup = new WarmupSpec { Count = 0, Requests = [Check("w", Golden())] }, "spec.warmup.count");
        yield return Case("too many checks", s => { for (var i = 0; i < 60; i++) s.SmokeTests.Add(Check($"c{i}", Golden())); }, "at most 50");
    }

    static TestCaseData Case(string name, Action<BlueGreenDeploymentSpec> edit, string expected) =>
        new TestCaseData(edit, expected).SetName("Should_reject_" + name.Replace(' ', '_'));

    static CheckSpec Check(string name, InferenceCheckSpec inference) => new() { Name = name, Inference = inference };

    static InferenceCheckSpec Golden(string datatype = "FP32", long[]? shape = null, double[]? data = null) => new()
    {
        Port = 8080,
        Model = "iris",
        Inputs = [new InferenceTensorSpec { Name = "input-0", Datatype = datatype, Shape = shape ?? [1, 4], Data = data ?? [5.1, 3.5, 1.4, 0.2] }],
        ExpectOutputs = [new ExpectedOutputSpec { Name = "output-0", Data = [0] }],
    };

    [TestCaseSource(nameof(BadSpecs))]
    public void Should_reject(Action<BlueGreenDeploymentSpec> edit, string expected)
    {
        var resource = Given.Resource("v1", edit);

        var plan = RolloutPlanner.Plan(new ObservedState(resource, null, null, null, null, Given.T0));

        plan.Step.Should().Be(Wait.Instance, "an invalid spec writes no workload");
        plan.Status.Phase.Should().Be(Phase.Degraded);
        plan.Status.Message.Should().Contain(expected);
        plan.Status.Conditions.Should().Contain(c => c.Type == "Degraded" && c.Reason == "InvalidSpec" && c.Status == "True");
    }

    [Test]
    public void Should_accept_the_documented_example()
    {
        var resource = Given.Resource("2026-11-20", s => s.SmokeTests.Add(Check("golden", Golden())));

        SpecValidator.Validate(resource).Should().BeEmpty();
    }

    [TestCase("""{"metadata":{"name":"m"},"spec":null}""")]
    [TestCase("""{"metadata":{"name":"m"},"spec":{}}""")]
    [TestCase("""{"metadata":{"name":"m"},"spec":{"model":null,"template":null,"service":null,"strategy":null,"smokeTests":null,"analysis":null}}""")]
    [TestCase("""{"metadata":{"name":"m"},"spec":{"model":{"name":"x","version":"v"},"template":{"spec":{"containers":[null]}},"service":{"name":"m","ports":[null]},"smokeTests":[null,{"name":"a","inference":{"port":1,"model":"x","inputs":[null],"expectOutputs":[null]}}]}}""")]
    [TestCase("""{"metadata":{},"spec":{"model":{"name":"x","version":"v"},"template":{"spec":{"containers":[{"name":"c","image":"i"}]}},"service":{"name":"m","ports":[{"port":1,"targetPort":1}]},"smokeTests":[{"name":"a","http":{"port":1,"path":null,"method":null}}],"analysis":{"checks":[{"name":"p","prometheus":{"query":"","min":2,"max":1}}]}}}""")]
    public void Should_never_throw_on_nulls_anywhere(string json)
    {
        var resource = KubernetesJson.Deserialize<BlueGreenDeployment>(json);

        var plan = RolloutPlanner.Plan(new ObservedState(resource, null, null, null, null, Given.T0));

        plan.Step.Should().Be(Wait.Instance);
        plan.Status.Conditions.Should().Contain(c => c.Reason == "InvalidSpec");
    }

    [Test]
    public void Should_survive_thousands_of_random_mutations_of_a_valid_spec()
    {
        var random = new Random(20261120);
        var valid = JsonNode.Parse(KubernetesJson.Serialize(Given.Resource("v1", s => s.SmokeTests.Add(Check("golden", Golden())))))!;
        var hostile = new JsonNode?[] { null, -1, 0, int.MaxValue, long.MinValue, 1e308, "", "x", new string('a', 5000), true, new JsonArray(), new JsonObject() };
        var invalid = 0;

        for (var i = 0; i < 3000; i++)
        {
            var mutated = valid.DeepClone();
            var leaves = Leaves(mutated).ToList();
            var (parent, key) = leaves[random.Next(leaves.Count)];
            var replacement = hostile[random.Next(hostile.Length)]?.DeepClone();
            if (parent is JsonObject obj)
                obj[(string)key] = replacement;
            else
                ((JsonArray)parent)[(int)key] = replacement;

            BlueGreenDeployment resource;
            try
            {
                resource = KubernetesJson.Deserialize<BlueGreenDeployment>(mutated.ToJsonString());
            }
            catch (System.Text.Json.JsonException)
            {
                continue; // The API server would not store this shape either: the type check rejects it.
            }

            var plan = RolloutPlanner.Plan(new ObservedState(resource, null, null, null, null, Given.T0));
            if (plan.Status.Conditions!.Any(c => c.Reason == "InvalidSpec"))
            {
                invalid++;
                plan.Step.Should().Be(Wait.Instance);
            }
        }

        invalid.Should().BeGreaterThan(300, "most hostile values must be caught");
    }

    static IEnumerable<(JsonNode Parent, object Key)> Leaves(JsonNode node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, child) in obj.ToList())
                {
                    yield return (obj, key);
                    if (child is not null)
                        foreach (var leaf in Leaves(child))
                            yield return leaf;
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    yield return (array, i);
                    if (array[i] is { } child)
                        foreach (var leaf in Leaves(child))
                            yield return leaf;
                }

                break;
        }
    }
}
