using BlueGreenOperator.Api;
using BlueGreenOperator.Cluster;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Cluster;

[TestFixture]
public sealed class CacheShapesTests
{
    static readonly BlueGreenDeployment Resource = new()
    {
        Metadata = new V1ObjectMeta { Name = "iris", NamespaceProperty = "ml", Uid = "uid-1" },
        Spec = new BlueGreenDeploymentSpec { Model = new ModelSpec { Name = "iris", Version = "v2" }, Template = Template("v2") },
    };

    [Test]
    public void Should_observe_a_shaped_deployment_exactly_as_the_whole_one()
    {
        var whole = Deployment(hashOf: Template("v2"));

        var shaped = CacheShapes.Deployment(Copy(whole));

        Observation.Deployment(shaped, Resource, Color.Blue).Should().Be(Observation.Deployment(whole, Resource, Color.Blue));
        Observation.Deployment(shaped, Resource, Color.Blue).TemplateIntact.Should().BeTrue();
        shaped.Spec.Template.Should().BeNull("the template is the heavy part and is read live when it must be recorded");
        shaped.Metadata.ManagedFields.Should().BeNull();
        shaped.Metadata.Annotations.Should().Equal(new Dictionary<string, string> { [WellKnown.TemplateHashAnnotation] = Observation.TemplateHash(Template("v2")) });
        Observation.IsOwnedBy(shaped.Metadata, Resource).Should().BeTrue();
    }

    [Test]
    public void Should_still_see_a_hand_edited_template_once_the_template_is_dropped()
    {
        var edited = Deployment(hashOf: Template("v1"));

        var shaped = CacheShapes.Deployment(Copy(edited));

        Observation.Deployment(shaped, Resource, Color.Blue).TemplateIntact.Should().BeFalse();
    }

    [Test]
    public void Should_observe_and_target_a_shaped_pod_exactly_as_the_whole_one()
    {
        var whole = Pod(ready: true);

        var shaped = CacheShapes.Pod(Copy(whole));

        Observation.Pod(shaped).Should().Be(Observation.Pod(whole));
        Observation.Pod(shaped)!.Ready.Should().BeTrue();
        Observation.Target(shaped).Should().Be(Observation.Target(whole));
        shaped.Spec.Should().BeNull();
        shaped.Status.Conditions.Should().ContainSingle().Which.Type.Should().Be("Ready");
        shaped.Metadata.Labels.Should().Equal(whole.Metadata.Labels);
    }

    [Test]
    public void Should_keep_a_pod_that_is_not_ready_unready_and_a_terminating_pod_terminating()
    {
        var unready = CacheShapes.Pod(Pod(ready: false));
        var terminating = Pod(ready: true);
        terminating.Metadata.DeletionTimestamp = DateTime.UtcNow;

        Observation.Pod(unready)!.Ready.Should().BeFalse();
        Observation.Pod(CacheShapes.Pod(terminating)).Should().BeNull();
    }

    [Test]
    public void Should_keep_the_schedulers_refusal_of_a_pending_pod_in_its_words()
    {
        var pending = Pod(ready: false);
        pending.Status.PodIP = null;
        pending.Status.Conditions =
        [
            new V1PodCondition { Type = "PodScheduled", Status = "False", Reason = "Unschedulable", Message = "0/1 nodes are available: 1 Insufficient nvidia.com/gpu." },
        ];

        var shaped = CacheShapes.Pod(Copy(pending));

        Observation.Pod(shaped).Should().Be(Observation.Pod(pending));
        Observation.Pod(shaped)!.Unschedulable.Should().Be("0/1 nodes are available: 1 Insufficient nvidia.com/gpu.");
    }

    [Test]
    public void Should_keep_the_standby_placement_mark_of_a_deployment()
    {
        var whole = Deployment(Template("v2"));
        whole.Metadata.Annotations[WellKnown.StandbyPlacementAnnotation] = "true";

        var shaped = CacheShapes.Deployment(whole);

        Observation.Deployment(shaped, Resource, Color.Blue).StandbyPlacement.Should().BeTrue();
        Observation.Deployment(shaped, Resource, Color.Blue).Should().Be(Observation.Deployment(whole, Resource, Color.Blue));
    }

    [Test]
    public void Should_keep_a_service_selector_and_ports()
    {
        var whole = new V1Service
        {
            Metadata = Metadata("iris"),
            Spec = new V1ServiceSpec
            {
                ClusterIP = "10.0.0.7",
                Selector = new Dictionary<string, string> { [WellKnown.ColorLabel] = "blue" },
                Ports = [new V1ServicePort { Name = "http", Port = 80, TargetPort = 8080 }],
            },
        };

        var shaped = CacheShapes.Service(Copy(whole));

        Observation.Service(shaped).Should().BeEquivalentTo(Observation.Service(whole));
        shaped.Spec.ClusterIP.Should().BeNull();
    }

    [Test]
    public void Should_parse_a_recorded_template_once_and_share_it()
    {
        var revision = new V1ControllerRevision
        {
            Metadata = Metadata("iris-abc"),
            Data = RecordedTemplate.Write("v2", Template("v2")),
        };
        var stored = KubernetesJson.Deserialize<V1ControllerRevision>(KubernetesJson.Serialize(revision));

        var shaped = CacheShapes.Template(stored);

        shaped.Data.Should().BeOfType<RecordedTemplate>();
        RecordedTemplate.Read(shaped).Should().BeSameAs(shaped.Data);
        RecordedTemplate.Read(shaped).ModelVersion.Should().Be("v2");
        Observation.TemplateHash(RecordedTemplate.Read(shaped).Template).Should().Be(Observation.TemplateHash(Template("v2")));
    }

    [Test]
    public void Should_drop_the_second_copy_of_the_spec_that_kubectl_apply_keeps_but_not_an_action()
    {
        var resource = Copy(Resource);
        resource.Metadata.Annotations = new Dictionary<string, string>
        {
            ["kubectl.kubernetes.io/last-applied-configuration"] = KubernetesJson.Serialize(Resource),
            [WellKnown.ActionAnnotation] = "promote",
        };
        resource.Metadata.ManagedFields = [new V1ManagedFieldsEntry { Manager = "kubectl" }];

        var shaped = CacheShapes.Resource(resource);

        shaped.Metadata.Annotations.Should().Equal(new Dictionary<string, string> { [WellKnown.ActionAnnotation] = "promote" });
        shaped.Metadata.ManagedFields.Should().BeNull();
        shaped.Spec.Should().BeEquivalentTo(Resource.Spec);
    }

    static V1Deployment Deployment(V1PodTemplateSpec hashOf)
    {
        var labels = DesiredObjects.Labels(Resource);
        labels[WellKnown.ColorLabel] = "blue";
        labels[WellKnown.RevisionLabel] = "abc";
        labels[WellKnown.ModelVersionLabel] = "v2";
        var metadata = Metadata("iris-blue", labels);
        metadata.Generation = 3;
        metadata.Annotations = new Dictionary<string, string>
        {
            [WellKnown.TemplateHashAnnotation] = Observation.TemplateHash(hashOf),
            ["deployment.kubernetes.io/revision"] = "2",
        };
        return new V1Deployment
        {
            Metadata = metadata,
            Spec = new V1DeploymentSpec
            {
                Replicas = 3,
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = Template("v2"),
            },
            Status = new V1DeploymentStatus { ObservedGeneration = 3, Replicas = 3, UpdatedReplicas = 3, AvailableReplicas = 2, ReadyReplicas = 2 },
        };
    }

    static V1Pod Pod(bool ready)
    {
        var labels = DesiredObjects.Labels(Resource);
        labels[WellKnown.ColorLabel] = "green";
        labels[WellKnown.RevisionLabel] = "abc";
        labels[WellKnown.PodTemplateHashLabel] = "5d9f";
        labels["app"] = "iris";
        return new V1Pod
        {
            Metadata = Metadata("iris-green-5d9f-x", labels),
            Spec = new V1PodSpec { Containers = Template("v2").Spec.Containers },
            Status = new V1PodStatus
            {
                PodIP = "10.224.16.9",
                Phase = "Running",
                Conditions =
                [
                    new V1PodCondition { Type = "PodScheduled", Status = "True" },
                    new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" },
                    new V1PodCondition { Type = "ContainersReady", Status = ready ? "True" : "False" },
                ],
            },
        };
    }

    static V1ObjectMeta Metadata(string name, Dictionary<string, string>? labels = null) => new()
    {
        Name = name,
        NamespaceProperty = "ml",
        Uid = name + "-uid",
        ResourceVersion = "42",
        Labels = labels ?? DesiredObjects.Labels(Resource),
        OwnerReferences = [DesiredObjects.OwnerReference(Resource)],
        ManagedFields = [new V1ManagedFieldsEntry { Manager = "bluegreen-operator", Operation = "Update" }],
    };

    static V1PodTemplateSpec Template(string version) => new()
    {
        Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "iris" } },
        Spec = new V1PodSpec
        {
            Containers =
            [
                new V1Container
                {
                    Name = "server",
                    Image = $"example/model-server:{version}",
                    Env = [new V1EnvVar { Name = "MODEL_VERSION", Value = version }],
                },
            ],
        },
    };

    static T Copy<T>(T value) => KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(value));
}
