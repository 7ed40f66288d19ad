using System.Diagnostics;
using ModelServer.Serving;

namespace ModelServer.Inference;

/// <summary>The Open Inference Protocol v2 REST routes (KServe v2, Triton, MLServer) for the served model.</summary>
internal static class OpenInferenceEndpoints
{
    public static void MapOpenInference(this WebApplication app, ServedModel model, ModelReadiness readiness)
    {
        var signature = model.Signature;

        app.MapGet("/v2/health/live", () => Results.Ok());
        app.MapGet("/v2/health/ready", () => readiness.IsReady ? Results.Ok() : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        app.MapGet("/v2", () => Results.Json(
            new ServerMetadata("model-server", typeof(OpenInferenceEndpoints).Assembly.GetName().Version?.ToString(3) ?? "1.0.0", []),
            ProtocolJsonContext.Readable.ServerMetadata));

        app.MapGet("/v2/models/{name}", (string name) => WhenServed(signature, name, null, () =>
            Results.Json(model.Metadata(), ProtocolJsonContext.Readable.ModelMetadata)));
        app.MapGet("/v2/models/{name}/versions/{version}", (string name, string version) => WhenServed(signature, name, version, () =>
            Results.Json(model.Metadata(), ProtocolJsonContext.Readable.ModelMetadata)));
        app.MapGet("/v2/models/{name}/ready", (string name) => WhenServed(signature, name, null, () => ReadyStatus(signature, readiness)));
        app.MapGet("/v2/models/{name}/versions/{version}/ready", (string name, string version) =>
            WhenServed(signature, name, version, () => ReadyStatus(signature, readiness)));

        app.MapPost("/v2/models/{name}/infer", (string name, HttpRequest request) =>
                InferAsync(model, readiness, name, null, request))
            .WithMetadata(InferenceRoute.Instance);
        app.MapPost("/v2/models/{name}/versions/{version}/infer", (string name, string version, HttpRequest request) =>
                InferAsync(model, readiness, name, version, request))
            .WithMetadata(InferenceRoute.Instance);
    }

    /// <summary>Applies the fault knobs and records metrics around every inference route.</summary>
    public static void UseInferenceInstrumentation(
        this WebApplication app, InferenceMetrics metrics, FaultInjection faults, ColdStart coldStart, ServerSettings settings, ILogger logger)
    {
        app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<InferenceRoute>() is null)
            {
                await next(context);
                return;
            }

            var started = Stopwatch.GetTimestamp();
            var decision = faults.Next();
            if (decision.CrashAfterResponse)
            {
                context.Response.OnCompleted(() =>
                {
                    logger.LogCritical("Crashing after {Requests} inference requests, as CRASH_AFTER_REQUESTS asks", decision.RequestNumber);
                    // Exit off the request thread so the host's shutdown does not wait on this request.
                    _ = Task.Run(() => Environment.Exit(1));
                    return Task.CompletedTask;
                });
            }

            if (settings.AddedLatency + coldStart.Next() is var delay && delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, context.RequestAborted);
            }

            CpuWork.Burn(settings.CpuWork);

            if (decision.Fail)
            {
                await Results.Json(
                        new ErrorResponse($"Injected failure of inference request #{decision.RequestNumber} (ERROR_RATE={settings.ErrorRate})."),
                        ProtocolJsonContext.Readable.ErrorResponse,
                        statusCode: StatusCodes.Status500InternalServerError)
                    .ExecuteAsync(context);
            }
            else
            {
                await next(context);
            }

            metrics.Record(context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        });
    }

    private static async Task<IResult> InferAsync(
        ServedModel model, ModelReadiness readiness, string name, string? version, HttpRequest request)
    {
        var signature = model.Signature;
        if (NotServed(signature, name, version) is { } notFound)
        {
            return notFound;
        }

        if (!readiness.IsReady)
        {
            return Error(StatusCodes.Status503ServiceUnavailable, $"Model '{signature.ModelName}' is not ready yet.");
        }

        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, request.HttpContext.RequestAborted);
        try
        {
            var batch = InferenceRequestParser.Parse(body.GetBuffer().AsMemory(0, (int)body.Length), signature);
            return Results.Json(model.Infer(batch), ProtocolJsonContext.Readable.InferenceResponse);
        }
        catch (InvalidInferenceRequestException e)
        {
            return Error(StatusCodes.Status400BadRequest, e.Message);
        }
    }

    private static IResult ReadyStatus(ModelSignature signature, ModelReadiness readiness) =>
        Results.Json(
            new ModelReadyStatus(signature.ModelName, signature.Version, readiness.IsReady),
            ProtocolJsonContext.Readable.ModelReadyStatus,
            statusCode: readiness.IsReady ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);

    private static IResult WhenServed(ModelSignature signature, string name, string? version, Func<IResult> answer) =>
        NotServed(signature, name, version) ?? answer();

    private static IResult? NotServed(ModelSignature signature, string name, string? version) =>
        name != signature.ModelName || (version is not null && version != signature.Version)
            ? Error(StatusCodes.Status404NotFound,
                $"Model '{name}'{(version is null ? "" : $" version '{version}'")} is not served here; " +
                $"this server serves '{signature.ModelName}' version '{signature.Version}'.")
            : null;

    private static IResult Error(int statusCode, string message) =>
        Results.Json(new ErrorResponse(message), ProtocolJsonContext.Readable.ErrorResponse, statusCode: statusCode);

    /// <summary>Marks the routes that count as inference requests for metrics and fault knobs.</summary>
    private sealed class InferenceRoute
    {
        public static readonly InferenceRoute Instance = new();
    }
}
