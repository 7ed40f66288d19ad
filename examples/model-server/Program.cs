using System.Diagnostics;
using ModelServer.Inference;
using ModelServer.Iris;
using ModelServer.Serving;

if (args.Length > 0 && args[0] == "evaluate")
{
    Console.Write(VersionComparison.Report());
    return 0;
}

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

var training = Stopwatch.StartNew();
var samples = IrisDataSet.Load();
var classifier = ModelVersions.Train(settings.ModelVersion, samples);
logger.LogInformation(
    "Trained model {Model} version {Version} in {TrainingMs} ms: {Trainer}; accuracy on the {Rows} iris rows {Accuracy:P2}",
    settings.ModelName, settings.ModelVersion, training.ElapsedMilliseconds, ModelVersions.Describe(settings.ModelVersion),
    samples.Count, classifier.Accuracy(samples));
logger.LogInformation(
    "Knobs: STARTUP_DELAY_SECONDS={StartupDelay} NEVER_READY={NeverReady} WRONG_PREDICTIONS={WrongPredictions} " +
    "ADDED_LATENCY_MS={AddedLatency} ERROR_RATE={ErrorRate} CRASH_AFTER_REQUESTS={CrashAfter}",
    settings.StartupDelay.TotalSeconds, settings.NeverReady, settings.WrongPredictions,
    settings.AddedLatency.TotalMilliseconds, settings.ErrorRate, settings.CrashAfterRequests?.ToString() ?? "off");

var signature = new ModelSignature(settings.ModelName, settings.ModelVersion, IrisDataSet.FeatureCount, IrisDataSet.ClassCount);
var model = new ServedModel(signature, classifier, settings.WrongPredictions);
var readiness = new ModelReadiness(settings, TimeProvider.System);
var metrics = new InferenceMetrics(settings);

app.UseInferenceInstrumentation(metrics, new FaultInjection(settings), settings, logger);
app.MapOpenInference(model, readiness);
app.MapGet("/metrics", () => Results.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"));

await app.RunAsync();
return 0;
