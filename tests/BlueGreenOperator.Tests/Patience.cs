namespace BlueGreenOperator.Tests;

/// <summary>
/// How long a test waits for something it expects to happen. Generous on purpose: a passing test never waits it out,
/// and a shared machine can stall a process for many seconds. Tests that assert something does not happen choose
/// their own, short window.
/// </summary>
internal static class Patience
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
}
