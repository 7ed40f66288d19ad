using System.Text.Json.Nodes;

namespace BlueGreenOperator.Packaging.Tests.Lua;

/// <summary>Runs the repository's Argo CD Lua scripts under the real Lua 5.1 interpreter.</summary>
internal static class ArgoCdLua
{
    private const string Interpreter = "lua5.1";

    public static string HealthScript => SourceTree.PathOf("examples/argocd/health.lua");

    public static string DiscoveryScript => SourceTree.PathOf("examples/argocd/actions/discovery.lua");

    public static string ActionScript(string verb) => SourceTree.PathOf($"examples/argocd/actions/{verb}/action.lua");

    public static string RequireInterpreter() =>
        ExternalCommand.FindOnPath(Interpreter)
        ?? throw new AssertionException(
            $"{Interpreter} is not on PATH. The Argo CD scripts are tested under real Lua 5.1: install the Debian package lua5.1.");

    public static Task<JsonNode> RunAsync(string scriptPath, JsonNode liveObject) =>
        RunHarnessAsync(scriptPath, LuaLiteral.From(liveObject), each: false);

    /// <summary>Runs the script once per object in one interpreter; the results come back in the objects' order.</summary>
    public static async Task<JsonArray> RunEachAsync(string scriptPath, IReadOnlyList<JsonNode> liveObjects)
    {
        var results = (await RunHarnessAsync(scriptPath, LuaLiteral.From(new JsonArray([.. liveObjects.Select(o => o.DeepClone())])), each: true)).AsArray();
        results.Count.Should().Be(liveObjects.Count, "the script must return a result for every object");
        return results;
    }

    private static async Task<JsonNode> RunHarnessAsync(string scriptPath, string objectLiteral, bool each)
    {
        var interpreter = RequireInterpreter();
        var objectFile = Path.Combine(Path.GetTempPath(), $"bluegreen-lua-{Guid.NewGuid():N}.lua");
        await File.WriteAllTextAsync(objectFile, "return " + objectLiteral + "\n");
        try
        {
            var harness = Path.Combine(TestContext.CurrentContext.TestDirectory, "Lua", "harness.lua");
            string[] arguments = each ? [harness, "--each", objectFile, scriptPath] : [harness, objectFile, scriptPath];
            var result = await ExternalCommand.RunAsync(interpreter, arguments);
            result.ExitCode.Should().Be(0, "the script must run under Lua 5.1: {0}", result.Describe());
            return JsonNode.Parse(result.StandardOutput)
                ?? throw new AssertionException("the script returned nothing: " + result.Describe());
        }
        finally
        {
            File.Delete(objectFile);
        }
    }
}
