using System.Text.Json.Nodes;

namespace BlueGreenOperator.Plugin.Actions;

/// <summary>The merge patch that asks the operator for an action.</summary>
internal static class ActionRequest
{
    /// <summary>
    /// Sets the action annotation; with a resourceVersion the API server refuses the patch (409) if the object changed
    /// since the phase was checked.
    /// </summary>
    public static string MergePatch(string verb, string? resourceVersion)
    {
        var metadata = new JsonObject
        {
            ["annotations"] = new JsonObject { [WellKnown.ActionAnnotation] = verb },
        };
        if (resourceVersion is not null)
        {
            metadata["resourceVersion"] = resourceVersion;
        }

        return new JsonObject { ["metadata"] = metadata }.ToJsonString();
    }
}
