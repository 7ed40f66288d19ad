using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace BlueGreenOperator.Tests.Checks;

/// <summary>How the imitation model server answers a pod address.</summary>
internal sealed record ModelBehaviour
{
    /// <summary>The data of <c>output-0</c>.</summary>
    public double[] Prediction { get; init; } = [0];

    /// <summary>Send the prediction as rows of two (<c>[[a, b], [c, d]]</c>) as OIP v2 servers may.</summary>
    public bool NestedRows { get; init; }

    public TimeSpan Delay { get; init; }

    public int Status { get; init; } = 200;

    /// <summary>Answer with exactly this body instead of a prediction.</summary>
    public string? RawBody { get; init; }

    /// <summary>From this infer request on (1-based, counted per server) answer with <see cref="Later"/>.</summary>
    public int? ChangeAtRequest { get; init; }

    public ModelBehaviour? Later { get; init; }

    /// <summary>The versions the model's metadata lists; null: none (a server that does not report versions).</summary>
    public string[]? Versions { get; init; } = ["3"];
}

/// <summary>
/// An Open Inference Protocol v2 model server ("iris") on a real local HTTP server. All pods of a test reach it on
/// 127.0.0.1; a pod is told apart by the address the checks put in the Host header (e.g. <c>::ffff:127.0.0.1</c>).
/// </summary>
internal sealed class ModelServer : IAsyncDisposable
{
    public const string Model = "iris";

    readonly ConcurrentDictionary<string, ModelBehaviour> byAddress = new(StringComparer.OrdinalIgnoreCase);
    int inferRequests;
    LocalHttpServer server = null!;

    public ModelBehaviour Behaviour { get; set; } = new();

    public int Port => server.Port;

    public IReadOnlyList<ReceivedRequest> Received => server.Received;

    public int InferRequests => Volatile.Read(ref inferRequests);

    public int MaxInFlight => server.MaxInFlight;

    /// <summary>Answer requests addressed to this pod IP differently from the rest.</summary>
    public void For(string podIP, ModelBehaviour behaviour) => byAddress[podIP] = behaviour;

    public static async Task<ModelServer> StartAsync()
    {
        var model = new ModelServer();
        model.server = await LocalHttpServer.StartAsync(model.AnswerAsync);
        return model;
    }

    async Task AnswerAsync(ReceivedRequest request, HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (path == "/v2/health/ready")
        {
            context.Response.StatusCode = 200;
            return;
        }
        var served = (byAddress.GetValueOrDefault(request.Host) ?? Behaviour).Versions;
        if (request.Method == "GET" && path.StartsWith($"/v2/models/{Model}/versions/", StringComparison.Ordinal) && path.EndsWith("/ready", StringComparison.Ordinal))
        {
            var version = path[$"/v2/models/{Model}/versions/".Length..^"/ready".Length];
            await LocalHttpServer.WriteJsonAsync(context, served?.Contains(version) == true ? $$"""{"name":"{{Model}}","ready":true}""" : """{"error":"no such version"}""",
                served?.Contains(version) == true ? 200 : 404);
            return;
        }
        if (path == $"/v2/models/{Model}" && request.Method == "GET")
        {
            var versions = served is null ? "" : $"\"versions\":[{string.Join(",", served.Select(v => $"\"{v}\""))}],";
            await LocalHttpServer.WriteJsonAsync(context, $$"""
                {"name":"{{Model}}",{{versions}}"platform":"sklearn","ready":true,"threshold":0.5,"classes":12,"labels":null,
                 "inputs":[{"name":"input-0","datatype":"FP32","shape":[-1,4]}],
                 "outputs":[{"name":"output-0","datatype":"INT64","shape":[-1]}]}
                """);
            return;
        }
        if (request.Method == "POST" && (path == $"/v2/models/{Model}/infer" || path.StartsWith($"/v2/models/{Model}/versions/", StringComparison.Ordinal)))
        {
            var number = Interlocked.Increment(ref inferRequests);
            var behaviour = byAddress.GetValueOrDefault(request.Host) ?? Behaviour;
            if (behaviour.ChangeAtRequest is { } at && number >= at && behaviour.Later is { } later)
                behaviour = later;
            if (behaviour.Delay > TimeSpan.Zero)
                await Task.Delay(behaviour.Delay, context.RequestAborted);
            await LocalHttpServer.WriteJsonAsync(context, behaviour.RawBody ?? Prediction(behaviour, request.Body), behaviour.Status);
            return;
        }
        await LocalHttpServer.WriteJsonAsync(context, """{"error":"not found"}""", 404);
    }

    static string Prediction(ModelBehaviour behaviour, string requestBody)
    {
        using var input = JsonDocument.Parse(requestBody);
        var rows = input.RootElement.GetProperty("inputs")[0].GetProperty("shape")[0].GetInt64();
        var values = behaviour.Prediction.Select(v => v.ToString("R", CultureInfo.InvariantCulture)).ToList();
        var data = behaviour.NestedRows
            ? "[" + string.Join(",", values.Chunk(2).Select(row => "[" + string.Join(",", row) + "]")) + "]"
            : "[" + string.Join(",", values) + "]";
        return $$"""
            {"model_name":"{{Model}}","model_version":"3","id":"r-{{rows}}",
             "outputs":[{"name":"output-0","shape":[{{behaviour.Prediction.Length}}],"datatype":"FP64","data":{{data}}},
                        {"name":"output-1","shape":[1],"datatype":"BOOL","data":[true]}]}
            """;
    }

    public ValueTask DisposeAsync() => server.DisposeAsync();
}
