using BlueGreenOperator.LocalCluster.ControlPlane;
using BlueGreenOperator.LocalCluster.Testing;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace BlueGreenOperator.LocalCluster.Tests.EndToEnd;

/// <summary>Starts one local cluster for the whole run and always stops it.</summary>
[SetUpFixture]
public sealed class LocalClusterSetUp
{
    private static readonly ILoggerFactory Logging = LoggerFactory.Create(builder => builder
        .AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.TimestampFormat = "HH:mm:ss.fff ";
        })
        .SetMinimumLevel(LogLevel.Information));

    public static ILogger Logger { get; } = Logging.CreateLogger("local-cluster-tests");

    public static string WorkDirectory(string name) => Path.Combine(TestContext.CurrentContext.WorkDirectory, name);

    [OneTimeSetUp]
    public async Task StartClusterAsync()
    {
        if (SharedCluster.UnavailableReason() is { } reason)
        {
            Assert.Fail($"The local control plane cannot start here (bash hack/prereqs.sh installs what it needs): {reason}");
        }

        await SharedCluster.StartAsync(WorkDirectory(".local-cluster-e2e"), new LocalClusterOptions(), Logger);
    }

    [OneTimeTearDown]
    public async Task StopClusterAsync() => await SharedCluster.StopAsync();
}
