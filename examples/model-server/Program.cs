using ModelServer.Inference;
using ModelServer.Iris;
using ModelServer.Serving;

if (args.Length > 0 && args[0] == "evaluate")
{
    Console.Write(VersionComparison.Report());
    return 0;
}

if (args.Length > 0 && args[0] == "export-onnx")
{
    return ModelServer.Onnx.OnnxExport.Run(args[1..]);
}

if (args.Length > 0 && args[0] == AccuracyEvaluation.Command)
    return await AccuracyEvaluation.RunAsync(args, Environment.GetEnvironmentVariable, Console.Out);

ServerSettings settings;
try
{
    settings = ServerSettings.Read(Environment.GetEnvironmentVariable, args);
}
catch (InvalidSettingException e)
{
    await Console.Error.WriteLineAsync($"model-server: {e.Message}");
    return 2;
}

var training = settings.ModelFile is { } modelFile
    ? TrainedModel.LoadOnnxInBackground(settings.ModelVersion, modelFile)
    : TrainedModel.TrainInBackground(settings.ModelVersion);

var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.AddSimpleConsole(options =>
{
    options.SingleLine = true;
    options.TimestampFormat = "HH:mm:ss.fff ";
});
// One log line per request would drown the knobs' messages; lifetime events stay visible.
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
builder.WebHost.UseUrls($"http://{settings.BindAddress}:{settings.Port}");
var app = builder.Build();
var logger = app.Logger;

logger.LogInformation(
    "Knobs: REPORTED_VERSION={ReportedVersion} STARTUP_DELAY_SECONDS={StartupDelay} NEVER_READY={NeverReady} WRONG_PREDICTIONS={WrongPredictions} " +
    "ADDED_LATENCY_MS={AddedLatency} CPU_WORK_MS={CpuWork} ERROR_RATE={ErrorRate} CRASH_AFTER_REQUESTS={CrashAfter} COLD_START_MS={ColdStart} COLD_START_REQUESTS={ColdRequests} COLD_AFTER_IDLE_SECONDS={ColdAfterIdle} SWAPPED_LABELS={SwappedLabels}",
    settings.ReportedVersion, settings.StartupDelay.TotalSeconds, settings.NeverReady, settings.WrongPredictions,
    settings.AddedLatency.TotalMilliseconds, settings.CpuWork.TotalMilliseconds, settings.ErrorRate, settings.CrashAfterRequests?.ToString() ?? "off",
    settings.ColdStart.TotalMilliseconds, settings.ColdStartRequests, settings.ColdAfterIdle.TotalSeconds, settings.SwappedLabels);

// The weights are those of MODEL_VERSION; what the server calls them outside is the reported version.
var signature = new ModelSignature(settings.ModelName, settings.ReportedVersion, IrisDataSet.FeatureCount, IrisDataSet.ClassCount)
{
    Platform = settings.ModelFile is null ? ModelSignature.TrainedPlatform : ModelSignature.OnnxPlatform,
};
var model = new ServedModel(signature, training, settings.WrongPredictions, settings.SwappedLabels);
var readiness = new ModelReadiness(settings, WarmUpAsync(), TimeProvider.System);
var coldStart = new ColdStart(settings, TimeProvider.System);
var metrics = new InferenceMetrics(settings, coldStart);

app.UseInferenceInstrumentation(metrics, new FaultInjection(settings), coldStart, settings, logger);
app.MapOpenInference(model, readiness);
app.MapGet("/metrics", () => Results.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"));

_ = LogTrainingAsync();
await app.RunAsync();
return Environment.ExitCode;

async Task<TrainedModel> WarmUpAsync()
{
    var trained = await training;
    model.WarmUp();
    return trained;
}

async Task LogTrainingAsync()
{
    try
    {
        var trained = await training;
        if (settings.ModelFile is { } file)
            logger.LogInformation(
                "Loaded model {Model} version {Version} from {File} into ONNX Runtime in {LoadMs:F0} ms; accuracy on the {Rows} iris rows {Accuracy:P2}",
                settings.ModelName, trained.Version, file, trained.Took.TotalMilliseconds, trained.Rows, trained.Accuracy);
        else
            logger.LogInformation(
                "Trained model {Model} version {Version} in {TrainingMs:F0} ms: {Trainer}; accuracy on the {Rows} iris rows {Accuracy:P2}",
                settings.ModelName, trained.Version, trained.Took.TotalMilliseconds, ModelVersions.Describe(trained.Version),
                trained.Rows, trained.Accuracy);
    }
    catch (Exception e) when (e is InvalidOperationException or FormatException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
    {
        // A server that can never become ready is better restarted than left running.
        logger.LogCritical(e, "Training model {Model} version {Version} failed", settings.ModelName, settings.ModelVersion);
        Environment.ExitCode = 1;
        app.Lifetime.StopApplication();
    }
}
