using System.Text.Json;
using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;

namespace BlueGreenOperator.Checks;

/// <summary>
/// Asks one pod which model and version it serves (Open Inference Protocol v2 model metadata, or the readiness of one
/// model version) and says why the answer is not <see cref="ModelIdentity.Model"/> at <see cref="ModelIdentity.Version"/>.
/// </summary>
internal static class ModelIdentityProbe
{
    static readonly JsonDocumentOptions Json = new() { MaxDepth = 64 };

    public static string PathOf(ModelIdentity identity) =>
        identity.Mode == IdentityMode.VersionReady
            ? $"/v2/models/{Uri.EscapeDataString(identity.Model)}/versions/{Uri.EscapeDataString(identity.Version)}/ready"
            : $"/v2/models/{Uri.EscapeDataString(identity.Model)}";

    /// <returns>Null when the pod serves the model at the version, otherwise why not (a sentence whose subject is the pod).</returns>
    public static async Task<string?> AttemptAsync(ProbeContext probe, ModelIdentity identity, Uri address, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        using var response = await ProbeResponse.SendAsync(probe, request, ct);
        var asked = $"GET {address.AbsolutePath}";
        if (identity.Mode == IdentityMode.VersionReady)
        {
            if ((int)response.Status != 200)
                return $"does not serve {identity.Model} version {identity.Version}: {asked} answered {response.StatusMismatch(200)}";
            return ReadyFalse(response) ? $"does not serve {identity.Model} version {identity.Version}: {asked} answered ready false" : null;
        }

        if ((int)response.Status != 200)
            return $"does not serve {identity.Model}: {asked} answered {response.StatusMismatch(200)}";
        return Compare(probe, identity, response, asked);
    }

    static string? Compare(ProbeContext probe, ModelIdentity identity, ProbeResponse response, string asked)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(response.Body, Json);
        }
        catch (JsonException)
        {
            return $"answered {asked} with no model metadata; body: {response.Excerpt}";
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return $"answered {asked} with no model metadata; body: {response.Excerpt}";
            if (root.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String && name.GetString() != identity.Model)
                return $"serves model {probe.Redactor.Shorten(name.GetString() ?? "", 63)}, expected {identity.Model}";
            if (!root.TryGetProperty("versions", out var versions) || versions.ValueKind != JsonValueKind.Array || versions.GetArrayLength() == 0)
                return $"does not report the versions of {identity.Model} ({asked} has no \"versions\"); "
                    + "set spec.model.identity.mode to None for a server that does not report versions";
            var served = versions.EnumerateArray().Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.GetRawText()).ToList();
            if (served is [var only] && only == identity.Version)
                return null;
            var shown = probe.Redactor.Shorten(string.Join(", ", served), 63);
            return served.Count == 1
                ? $"serves {identity.Model} version {shown}, expected {identity.Version}"
                : $"serves {identity.Model} versions [{shown}], expected only {identity.Version} (mode VersionReady asks for one version of several)";
        }
    }

    static bool ReadyFalse(ProbeResponse response)
    {
        try
        {
            using var document = JsonDocument.Parse(response.Body, Json);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("ready", out var ready)
                && ready.ValueKind == JsonValueKind.False;
        }
        catch (JsonException)
        {
            // A plain 200 without a body says ready, as KServe's and Triton's ready endpoints do.
            return false;
        }
    }
}
