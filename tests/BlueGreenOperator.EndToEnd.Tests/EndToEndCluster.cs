using BlueGreenOperator.LocalCluster.ControlPlane;
using BlueGreenOperator.LocalCluster.Testing;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests;

/// <summary>One real control plane for the whole run, with the CRD installed; torn down even when tests fail.</summary>
[SetUpFixture]
public sealed class EndToEndCluster
{
    public static IKubernetes Client { get; private set; } = null!;

    public static string Kubeconfig => SharedCluster.Current.KubeconfigPath;

    /// <summary>The API server's audit log: every request of a ServiceAccount (see <see cref="ApiServerPolicies.Audit"/>).</summary>
    public static string AuditLogPath => SharedCluster.Current.AuditLogPath;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var options = new LocalClusterOptions { ModelServerDll = BuildOutputs.ModelServerDll };
        if (SharedCluster.UnavailableReason(options) is { } reason)
            Assert.Fail($"The end-to-end tests need the local control plane: {reason}");
        File.Exists(BuildOutputs.OperatorProgram).Should().BeTrue($"the operator must be built at {BuildOutputs.OperatorProgram}");
        File.Exists(BuildOutputs.ModelServerDll).Should().BeTrue($"the model server must be built at {BuildOutputs.ModelServerDll}");

        var directory = Path.Combine(Path.GetTempPath(), $"bluegreen-e2e-{Environment.ProcessId}");
        var cluster = await SharedCluster.StartAsync(directory, options, NullLogger.Instance);
        Client = cluster.CreateClient();
        await Client.InstallFileAsync(BuildOutputs.CrdPath);
    }

    [OneTimeTearDown]
    public Task StopAsync() => SharedCluster.StopAsync();
}
