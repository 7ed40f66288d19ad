using NUnit.Framework;

namespace BlueGreenOperator.Tests.Checks;

/// <summary>A fresh model server per test, so that request counts and behaviours never leak between tests.</summary>
public abstract class AgainstModelServer
{
    internal ModelServer Model { get; private set; } = null!;

    [SetUp]
    public async Task StartModelServer() => Model = await ModelServer.StartAsync();

    [TearDown]
    public async Task StopModelServer() => await Model.DisposeAsync();
}
