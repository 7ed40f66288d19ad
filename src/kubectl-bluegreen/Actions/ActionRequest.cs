using System.Text.Json.Nodes;

namespace BlueGreenOperator.Plugin.Actions;

/// <summary>What an action command will do to one object: the merge patch to send, or why it refuses.</summary>
internal sealed record ActionRequest(string? MergePatch, CommandFailure? Refusal)
{
    public static ActionRequest Decide(string verb, BlueGreenDeployment item, bool force)
    {
        var applicability = Applicability.Of(verb, item.Status);
        if (!applicability.Applies && !force)
        {
            return new ActionRequest(null, new CommandFailure(ExitCode.ActionDoesNotApply,
                $"cannot {verb} bluegreendeployment \"{item.Metadata.Name}\" in namespace \"{item.Metadata.NamespaceProperty}\": " +
                $"{applicability.Reason} (--force requests it anyway)"));
        }

        // The checked resourceVersion makes the API server refuse the patch (409) if the object changed since the check.
        return new ActionRequest(AnnotationPatch(verb, force ? null : item.Metadata.ResourceVersion), null);
    }

    public static string AnnotationPatch(string verb, string? resourceVersion)
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
