using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Runtime;

/// <summary>
/// Reports objects that do not decode on the objects themselves: <c>status.phase: Degraded</c> and a Degraded
/// condition with reason <c>InvalidSpec</c> naming the decoder's JSON path, written as a raw JSON merge patch on the
/// <c>/status</c> subresource (no typed object needed), guarded by the resourceVersion it was built from, plus a
/// Warning Event. Each uid, resourceVersion and message is written at most once, and not at all when the status
/// already says it. Reports are collected on every instance and written only by <see cref="RunAsync"/>, which
/// runs while this instance leads.
/// </summary>
internal sealed class UndecodableReporter(IKubernetes client, ApiResource resource, string kind, ILogger logger, TimeProvider? time = null)
{
    public const string Reason = "InvalidSpec";
    private const string Degraded = "Degraded";
    private const string Progressing = "Progressing";

    private readonly TimeProvider time = time ?? TimeProvider.System;
    private readonly ConcurrentDictionary<ObjectKey, UndecodableObject> pending = new();
    private readonly ConcurrentDictionary<string, byte> done = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim signal = new(0);

    /// <summary>Patches written (not skipped) since start.</summary>
    public int Written { get; private set; }

    /// <summary>Queues a report; the latest sighting of a key wins.</summary>
    public void Report(UndecodableObject undecodable)
    {
        pending[undecodable.Key] = undecodable;
        signal.Release();
    }

    /// <summary>The object decoded again or is gone: nothing left to report.</summary>
    public void Forget(ObjectKey key) => pending.TryRemove(key, out _);

    /// <summary>Writes queued reports until cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await signal.WaitAsync(ct);
                foreach (var key in pending.Keys)
                {
                    if (pending.TryRemove(key, out var next))
                    {
                        await WriteAsync(next, ct);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Writes one report unless it was written already or the status already says it; returns whether a patch was sent.</summary>
    public async Task<bool> WriteAsync(UndecodableObject undecodable, CancellationToken ct)
    {
        var message = Message(undecodable);
        var once = $"{undecodable.Uid}|{undecodable.ResourceVersion}|{message}";
        if (done.ContainsKey(once) || AlreadyReported(undecodable.Status, message, undecodable.Generation))
        {
            return false;
        }

        var key = undecodable.Key;
        try
        {
            var patch = StatusPatch(undecodable, time.GetUtcNow().UtcDateTime);
            await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
                new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), resource.Group, resource.Version, key.Namespace, resource.Plural, key.Name,
                fieldManager: OwnerKeyResolver.ManagedByValue, cancellationToken: ct);
            done[once] = 0;
            Written++;
            logger.LogWarning("{ObjectKey} reported Degraded ({Reason}): {Message}", key, Reason, message);
            await RecordEventAsync(undecodable, message, ct);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            // Changed or deleted since it was read: its next version is reported when it arrives.
            logger.LogDebug("{ObjectKey} changed before its InvalidSpec report was written ({Status})", key, e.Response.StatusCode);
            return false;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.UnprocessableEntity)
        {
            // The object no longer passes the CRD's schema (stored before the schema got stricter), so its status cannot be written: an Event says it.
            done[once] = 0;
            logger.LogWarning("{ObjectKey} does not decode ({Message}) and its status cannot be written: {Error}", key, message, e.Response.Content);
            await RecordEventAsync(undecodable, message, ct);
            return false;
        }
    }

    public static string Message(UndecodableObject undecodable) =>
        $"Invalid spec: the object does not decode at {undecodable.Path}: {undecodable.Message}";

    /// <summary>The merge patch: phase, message, observedGeneration and the conditions, keeping conditions of other types as they are.</summary>
    public static JsonObject StatusPatch(UndecodableObject undecodable, DateTime now)
    {
        var message = Message(undecodable);
        var existing = ExistingConditions(undecodable.Status);
        var conditions = new JsonArray();
        foreach (var condition in existing.Where(c => c.Type is not (Degraded or Progressing)))
        {
            conditions.Add(condition.Node.DeepClone());
        }

        conditions.Add((JsonNode)Condition(Degraded, "True", message, undecodable.Generation, now, existing));
        conditions.Add((JsonNode)Condition(Progressing, "False", message, undecodable.Generation, now, existing));
        var status = new JsonObject
        {
            ["phase"] = Degraded,
            ["message"] = message,
            ["conditions"] = conditions,
        };
        if (undecodable.Generation is { } generation)
        {
            status["observedGeneration"] = generation;
        }

        var patch = new JsonObject { ["status"] = status };
        if (undecodable.ResourceVersion is { Length: > 0 } version)
        {
            // A precondition: the server refuses the patch (409) if the object changed since it was read.
            patch["metadata"] = new JsonObject { ["resourceVersion"] = version };
        }

        return patch;
    }

    /// <summary>True when the status already carries this very report for this generation.</summary>
    public static bool AlreadyReported(JsonElement? status, string message, long? generation)
    {
        if (status is not { ValueKind: JsonValueKind.Object } s
            || ObjectDecoder.Text(s, "phase") != Degraded
            || (generation is { } g && !(s.TryGetProperty("observedGeneration", out var observed) && observed.ValueKind == JsonValueKind.Number && observed.TryGetInt64(out var o) && o == g)))
        {
            return false;
        }

        return ExistingConditions(status).Any(c => c.Type == Degraded
            && (string?)c.Node["status"] == "True"
            && (string?)c.Node["reason"] == Reason
            && (string?)c.Node["message"] == message);
    }

    private async Task RecordEventAsync(UndecodableObject undecodable, string message, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var key = undecodable.Key;
        try
        {
            var involved = new V1ObjectReference
            {
                ApiVersion = $"{resource.Group}/{resource.Version}",
                Kind = kind,
                Name = key.Name,
                NamespaceProperty = key.Namespace,
                Uid = undecodable.Uid,
                ResourceVersion = undecodable.ResourceVersion,
            };
            await client.CoreV1.CreateNamespacedEventAsync(
                ObjectEvent.Build(involved, Reason, message.Length > 1000 ? message[..1000] : message, "Warning", now),
                key.Namespace,
                cancellationToken: ct);
        }
        catch (HttpOperationException e)
        {
            logger.LogWarning("Recording the InvalidSpec Event of {ObjectKey} failed: {Status}", key, e.Response.StatusCode);
        }
    }

    private static JsonObject Condition(string type, string status, string message, long? generation, DateTime now, IReadOnlyList<(string? Type, JsonNode Node)> existing)
    {
        var previous = existing.FirstOrDefault(c => c.Type == type).Node;
        var transitioned = previous is null || (string?)previous["status"] != status || previous["lastTransitionTime"] is null;
        var condition = new JsonObject
        {
            ["type"] = type,
            ["status"] = status,
            ["reason"] = Reason,
            ["message"] = message,
            ["lastTransitionTime"] = transitioned ? now.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : previous!["lastTransitionTime"]!.DeepClone(),
        };
        if (generation is { } g)
        {
            condition["observedGeneration"] = g;
        }

        return condition;
    }

    /// <summary>The status's conditions that are objects with a string type; anything else in the list is dropped.</summary>
    private static List<(string? Type, JsonNode Node)> ExistingConditions(JsonElement? status)
    {
        var found = new List<(string?, JsonNode)>();
        if (status is { ValueKind: JsonValueKind.Object } s && s.TryGetProperty("conditions", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in list.EnumerateArray())
            {
                // Only whole conditions are kept: the schema refuses the patch if one lacks a required field.
                if (ObjectDecoder.Text(item, "type") is { } type
                    && new[] { "status", "reason", "message", "lastTransitionTime" }.All(field => ObjectDecoder.Text(item, field) is not null)
                    && JsonNode.Parse(item.GetRawText()) is { } node)
                {
                    found.Add((type, node));
                }
            }
        }

        return found;
    }
}
