using System.Text;
using BlueGreenOperator.Api;
using BlueGreenOperator.Cluster;
using BlueGreenOperator.EndToEnd.Tests.Runtime;
using BlueGreenOperator.EndToEnd.Tests.Tenancy;
using BlueGreenOperator.LocalCluster.Testing;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests.Shipping;

/// <summary>
/// The chart's RBAC is exactly what the operator uses, read from the API server's audit log. The operator runs as
/// the chart's ServiceAccount (as every operator of this suite does) through every path that reaches the API: a
/// release with a check header from a Secret, a paused release promoted, one aborted, one under analysis rolled back,
/// an evaluation Job in each release's smoke tests (the fourth one deletes the oldest), an object that does not decode, an object whose ControllerRevision name is taken, leader election with a graceful
/// hand-over. Every request is then matched with a rule of the chart (nothing used that is not granted) and every rule
/// with a request (nothing granted that is never used); the requests of every other operator of the run so far are
/// matched too.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class RbacAuditTests
{
    static IKubernetes Admin => EndToEndCluster.Client;

    [Test]
    public async Task Should_grant_exactly_the_requests_the_operator_makes_as_the_audit_log_records_them()
    {
        await using var rollout = await ModelRollout.StartAsync(startOperator: false);
        var grant = await ChartIdentity.ForAsync(rollout.Ns);
        await Admin.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = "model-token" }, StringData = new Dictionary<string, string> { ["token"] = "audit" } }, rollout.Ns);
        var taken = await TakeTemplateNameAsync(rollout.Ns, "clash");
        await Admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "iris-replay" },
            Data = new Dictionary<string, string> { ["requests.jsonl"] = """{"request":{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]},"expected":{"output-0":[0]}}""" },
        }, rollout.Ns);

        rollout.Operator = await OperatorProcess.StartAsync(rollout.Ns, leaderElection: true);
        await rollout.ApplyAsync(ModelRollout.Model("v1", "v1", edit: s =>
        {
            Short(s);
            s.SmokeTests[0].Http!.SecretHeaders = [Bearer()];
            WithJob(s);
            s.Replay = new ReplaySpec { ConfigMapRef = new ConfigMapKeyReference { Name = "iris-replay", Key = "requests.jsonl" }, Port = 8080, Model = "iris", MinAccuracy = 1 };
        }));
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v1");

        await PauseThenActAsync(rollout, ModelRollout.Model("v2", "v2", edit: s => WithJob(Short, s)), RolloutAction.Promote);
        await rollout.WaitForPhaseAsync(Phase.Healthy, modelVersion: "v2");
        await PauseThenActAsync(rollout, ModelRollout.Model("v3", "v1", edit: s => WithJob(Short, s)), RolloutAction.Abort);
        await rollout.WaitForAsync(s => s.Phase == Phase.Degraded && s.AbortedRevision is not null, "the aborted release");

        await rollout.ApplyAsync(ModelRollout.Model("v4", "v1", edit: s =>
        {
            s.Strategy.StabilizationSeconds = 300;
            WithJob(s);
            s.Analysis = new AnalysisSpec { IntervalSeconds = 2, FailureLimit = 1, Checks = [new CheckSpec { Name = "golden", Inference = ModelRollout.Golden() }] };
        }));
        await rollout.WaitForPhaseAsync(Phase.Stabilizing, modelVersion: "v4");
        await rollout.ActAsync(RolloutAction.Rollback);
        await rollout.WaitForPhaseAsync(Phase.RolledBack, 60, modelVersion: "v2");

        await MalformedObjectTests.CreateRawAsync(rollout.Ns, "undecodable", MalformedObjectTests.Undecodable("undecodable"));
        await MalformedObjectTests.WaitReportedAsync(rollout.Ns, "undecodable");
        var clash = await TenantObjects.WaitForPhaseAsync(rollout.Ns, "clash", Phase.Degraded, rollout.Operator);
        clash.Status!.Conditions.Should().Contain(c => c.Type == "Degraded" && c.Reason == DegradedReasons.NameConflict && c.Message.Contains(taken));
        await rollout.Operator.StopAsync();
        rollout.Operator.Log.Should().NotContainEquivalentOf("forbidden");

        var own = RbacComparison.Of([grant], AuditLog.Read(EndToEndCluster.AuditLogPath, new HashSet<string> { grant.User }));
        var others = ChartIdentity.Installed;
        var run = RbacComparison.Of(others, AuditLog.Read(EndToEndCluster.AuditLogPath, others.Select(g => g.User).ToHashSet()));
        var report = new StringBuilder()
            .AppendLine($"Requests of {grant.User} (this test's scenario) against the rules of the chart:").AppendLine().Append(own.Table()).AppendLine()
            .AppendLine($"Requests of every operator of this run so far ({others.Count} identities):").AppendLine().Append(run.Table())
            .ToString();
        await TestContext.Out.WriteLineAsync(report);

        await ShouldNeedTheFinalizersGrantAsync(grant, clash);

        own.Rows.Should().NotBeEmpty();
        own.Ungranted.Should().BeEmpty("every request the operator made is granted by the chart:\n{0}", report);
        own.Unused.Should().BeEmpty("every rule of the chart is used by the operator:\n{0}", report);
        run.Ungranted.Should().BeEmpty("no operator of this run made a request the chart does not grant:\n{0}", report);
    }

    /// <summary>Applies a release that waits for a promotion, and once it is paused, performs <paramref name="action"/> on it.</summary>
    static async Task PauseThenActAsync(ModelRollout rollout, BlueGreenDeployment release, string action)
    {
        release.Spec.Strategy.AutoPromote = false;
        await rollout.ApplyAsync(release);
        await rollout.WaitForPhaseAsync(Phase.Paused);
        await rollout.ActAsync(action);
    }

    /// <summary>
    /// Creates an object the operator does not watch yet, and a ControllerRevision of nobody under the name the
    /// operator will give its first template: its create is refused with 409, and the operator reads the object to
    /// learn whose it is.
    /// </summary>
    static async Task<string> TakeTemplateNameAsync(string ns, string name)
    {
        var model = ModelRollout.Model("v1", "v1", edit: Short);
        model.Metadata.Name = name;
        model.Spec.Service.Name = name;
        await TenantObjects.CreateAsync(ns, model);
        var stored = await TenantObjects.GetAsync(ns, name);
        var taken = ClusterAccess.TemplateName(stored, RevisionHash.Compute(stored.Spec));
        await Admin.AppsV1.CreateNamespacedControllerRevisionAsync(new V1ControllerRevision
        {
            Metadata = new V1ObjectMeta { Name = taken },
            Revision = 1,
            Data = new Dictionary<string, string> { ["owner"] = "another controller" },
        }, ns);
        return taken;
    }

    /// <summary>
    /// The finalizers rule is checked by an admission plugin, never requested: proven needed by taking it away, after
    /// which the very create the operator sends (an owned Deployment, dry run) is refused with 403.
    /// </summary>
    static async Task ShouldNeedTheFinalizersGrantAsync(ChartGrant grant, BlueGreenDeployment owner)
    {
        var ns = owner.Metadata.NamespaceProperty;
        var name = grant.Rbac.OfKind("Role").Single(r => r.Namespace == ns && r.As<V1Role>().Rules.Any(IsFinalizers)).Name;
        var role = await Admin.RbacAuthorizationV1.ReadNamespacedRoleAsync(name, ns);
        role.Rules = [.. role.Rules.Where(r => !IsFinalizers(r))];
        await Admin.RbacAuthorizationV1.ReplaceNamespacedRoleAsync(role, name, ns);

        using var asOperator = grant.Kubeconfig.CreateClient();
        var template = ModelRollout.Model("v1", "v1").Spec.Template;
        var deployment = new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "owned", OwnerReferences = [DesiredObjects.OwnerReference(owner)] },
            Spec = new V1DeploymentSpec { Selector = new V1LabelSelector { MatchLabels = template.Metadata.Labels }, Template = template },
        };
        string refusal = "";
        await BlueGreenOperator.LocalCluster.Eventually.UntilAsync(
            async ct =>
            {
                try
                {
                    await asOperator.AppsV1.CreateNamespacedDeploymentAsync(deployment, ns, dryRun: "All", cancellationToken: ct);
                    return false;
                }
                catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Forbidden)
                {
                    refusal = e.Response.Content;
                    return true;
                }
            },
            TimeSpan.FromSeconds(30), "the create of an owned Deployment to be refused without update on bluegreendeployments/finalizers");
        refusal.Should().Contain("cannot set blockOwnerDeletion");
        await TestContext.Out.WriteLineAsync($"Without the finalizers rule, the operator's create of an owned Deployment is refused: {refusal}");
    }

    static bool IsFinalizers(V1PolicyRule rule) => rule.Resources.Contains(RbacComparison.Finalizers);

    static SecretHeaderSpec Bearer() => new()
    {
        Name = "Authorization",
        Prefix = "Bearer ",
        ValueFrom = new HeaderValueSource { SecretKeyRef = new SecretKeyReference { Name = "model-token", Key = "token" } },
    };

    /// <summary>A job check that passes at once: each release creates, reads and lists a Job; the history then deletes old ones.</summary>
    static void WithJob(BlueGreenDeploymentSpec spec) =>
        spec.SmokeTests.Add(ModelRollout.ScriptJob("evaluation", "echo audited > \"$BLUEGREEN_TERMINATION_MESSAGE_PATH\""));

    static void WithJob(Action<BlueGreenDeploymentSpec> edit, BlueGreenDeploymentSpec spec)
    {
        edit(spec);
        WithJob(spec);
    }

    static void Short(BlueGreenDeploymentSpec spec)
    {
        spec.Strategy.ScaleDownDelaySeconds = 2;
        spec.Strategy.StabilizationSeconds = 5;
    }
}
