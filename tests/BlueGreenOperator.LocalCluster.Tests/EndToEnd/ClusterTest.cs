using BlueGreenOperator.LocalCluster.Testing;
using k8s;
using NUnit.Framework;

namespace BlueGreenOperator.LocalCluster.Tests.EndToEnd;

/// <summary>A test on the shared cluster, with a namespace of its own.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public abstract class ClusterTest
{
    private readonly List<string> workingDirectories = [];

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
        if (workingDirectories.Count > 0)
        {
            // Directories go only after the pods using them stopped, or their processes would fail and restart.
            await Eventually.UntilAsync(
                async token => (await Client.ListPodsAsync(Space.Name, cancellationToken: token)).Count == 0,
                TimeSpan.FromSeconds(60),
                $"the pods of {Space.Name} to stop");
            workingDirectories.ForEach(directory => Directory.Delete(directory, recursive: true));
        }

        Client.Dispose();
    }

    /// <summary>A host directory for a container's workingDir, removed after the test's pods stopped.</summary>
    protected string CreateWorkingDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("bluegreen-workdir-").FullName;
        workingDirectories.Add(directory);
        return directory;
    }
}
