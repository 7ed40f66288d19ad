using BlueGreenOperator.LocalCluster.Testing;
using k8s;
using NUnit.Framework;

namespace BlueGreenOperator.LocalCluster.Tests.EndToEnd;

/// <summary>A test on the shared cluster, with a namespace of its own.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public abstract class ClusterTest
{
    protected IKubernetes Client { get; private set; } = null!;

    protected TestNamespace Space { get; private set; } = null!;

    protected static ControlPlane.LocalCluster Cluster => SharedCluster.Current;

    [SetUp]
    public async Task CreateNamespaceAsync()
    {
        Client = Cluster.CreateClient();
        Space = await TestNamespace.CreateAsync(Client, TestContext.CurrentContext.Test.Name);
    }

    [TearDown]
    public async Task DeleteNamespaceAsync()
    {
        await Space.DisposeAsync();
        Client.Dispose();
    }
}
