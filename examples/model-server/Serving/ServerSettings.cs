using System.Globalization;
using ModelServer.Iris;

namespace ModelServer.Serving;

/// <summary>Everything the server is told by environment variables and command-line arguments.</summary>
/// <remarks>
/// <see cref="ModelVersion"/> picks the weights; <see cref="ReportedVersion"/> is the version the server names in answers,
/// metadata and metrics (<c>REPORTED_VERSION</c>, the weights' version unless set), so that two releases with the same
/// weights, or a hand-edited pod, can be told apart from outside.
/// </remarks>
internal sealed record ServerSettings(
    string BindAddress,
    int Port,
    string ModelName,
    string ModelVersion,
    string ReportedVersion,
    TimeSpan StartupDelay,
    bool NeverReady,
    bool WrongPredictions,
    TimeSpan AddedLatency,
    TimeSpan CpuWork,
    double ErrorRate,
    long? CrashAfterRequests,
    string? ModelFile = null)
{
    /// <summary>
    /// A lazily loaded model's cold start (<c>COLD_START_MS</c>, <c>COLD_START_REQUESTS</c>): the first inference request
    /// waits the whole delay, the following ones less and less, request n of N waiting (N − n + 1)/N of it.
    /// </summary>
    public TimeSpan ColdStart { get; init; }

    public int ColdStartRequests { get; init; } = 5;

    /// <summary>Idle this long without an inference request, the model is cold again (<c>COLD_AFTER_IDLE_SECONDS</c>; zero: never).</summary>
    public TimeSpan ColdAfterIdle { get; init; }

    /// <summary>How long the n-th inference request (from 1) waits for the cold start.</summary>
    public TimeSpan ColdStartFor(long requestNumber) =>
        requestNumber > ColdStartRequests || ColdStart <= TimeSpan.Zero
            ? TimeSpan.Zero
            : ColdStart * (ColdStartRequests - requestNumber + 1) / ColdStartRequests;

    /// <summary>SWAPPED_LABELS: versicolor and virginica answered as each other (a label map swapped between training and serving).</summary>
    public bool SwappedLabels { get; init; }

    /// <summary>Reads settings; arguments (<c>--port</c>, <c>--bind</c>) win over the environment.</summary>
    public static ServerSettings Read(Func<string, string?> environment, IReadOnlyList<string> args)
    {
        string? Argument(string name)
        {
            for (var i = 0; i < args.Count; i++)
            {
                if (args[i] == name)
                {
                    return i + 1 < args.Count ? args[i + 1] : throw new InvalidSettingException($"{name} needs a value.");
                }

                if (args[i].StartsWith(name + "=", StringComparison.Ordinal))
                {
                    return args[i][(name.Length + 1)..];
                }
            }

            return null;
        }

        string? Value(string key) => string.IsNullOrWhiteSpace(environment(key)) ? null : environment(key)!.Trim();

        var version = Value("MODEL_VERSION") ?? "v1";
        if (!ModelVersions.IsKnown(version))
        {
            throw new InvalidSettingException(
                $"MODEL_VERSION '{version}' is unknown; this server can serve: {string.Join(", ", ModelVersions.Known)}.");
        }

        var reported = Value("REPORTED_VERSION") ?? version;
        if (reported.Any(char.IsControl))
        {
            throw new InvalidSettingException("REPORTED_VERSION must not contain control characters.");
        }

        var errorRate = Number("ERROR_RATE", Value("ERROR_RATE"), 0);
        if (errorRate is < 0 or > 1)
        {
            throw new InvalidSettingException($"ERROR_RATE must be between 0 and 1, got {errorRate}.");
        }

        var port = (int)Number("PORT", Argument("--port") ?? Value("PORT"), 8080);
        if (port is < 1 or > 65535)
        {
            throw new InvalidSettingException($"PORT must be between 1 and 65535, got {port}.");
        }

        var crashAfter = Value("CRASH_AFTER_REQUESTS") is { } crash ? (long?)Number("CRASH_AFTER_REQUESTS", crash, 0) : null;
        if (crashAfter is < 1)
        {
            throw new InvalidSettingException($"CRASH_AFTER_REQUESTS must be at least 1, got {crashAfter}.");
        }

        return new ServerSettings(
            BindAddress: Argument("--bind") ?? Value("BIND_ADDRESS") ?? "0.0.0.0",
            Port: port,
            ModelName: Value("MODEL_NAME") ?? "iris",
            ModelVersion: version,
            ReportedVersion: reported,
            StartupDelay: TimeSpan.FromSeconds(NonNegative("STARTUP_DELAY_SECONDS", Value("STARTUP_DELAY_SECONDS"))),
            NeverReady: Flag("NEVER_READY", Value("NEVER_READY")),
            WrongPredictions: Flag("WRONG_PREDICTIONS", Value("WRONG_PREDICTIONS")) || ClaimsWrongPredictions(Value("WRONG_PREDICTIONS_CLAIM_FILE")),
            AddedLatency: TimeSpan.FromMilliseconds(NonNegative("ADDED_LATENCY_MS", Value("ADDED_LATENCY_MS"))),
            CpuWork: TimeSpan.FromMilliseconds(NonNegative("CPU_WORK_MS", Value("CPU_WORK_MS"))),
            ErrorRate: errorRate,
            CrashAfterRequests: crashAfter,
            ModelFile: ModelFileOf(Value("MODEL_FILE")))
        {
            ColdStart = TimeSpan.FromMilliseconds(NonNegative("COLD_START_MS", Value("COLD_START_MS"))),
            ColdStartRequests = Value("COLD_START_REQUESTS") is { } cold
                ? (int)Number("COLD_START_REQUESTS", cold, 5) is var n and >= 1 and <= 1_000_000 ? n
                    : throw new InvalidSettingException($"COLD_START_REQUESTS must be between 1 and 1000000, got '{cold}'.")
                : 5,
            ColdAfterIdle = TimeSpan.FromSeconds(NonNegative("COLD_AFTER_IDLE_SECONDS", Value("COLD_AFTER_IDLE_SECONDS"))),
            SwappedLabels = Flag("SWAPPED_LABELS", Value("SWAPPED_LABELS")),
        };
    }

    /// <summary>MODEL_FILE: an .onnx model served through ONNX Runtime instead of training MODEL_VERSION's weights.</summary>
    private static string? ModelFileOf(string? path) =>
        path is null || File.Exists(path) ? path : throw new InvalidSettingException($"MODEL_FILE '{path}' does not exist.");

    private static double Number(string key, string? text, double fallback) =>
        text is null ? fallback
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && double.IsFinite(value) ? value
        : throw new InvalidSettingException($"{key} must be a number, got '{text}'.");

    private static double NonNegative(string key, string? text) =>
        Number(key, text, 0) is var value and >= 0 ? value : throw new InvalidSettingException($"{key} must not be negative, got '{text}'.");

    // Several replicas share one host file system here: the first to create the file is the one bad replica.
    private static bool ClaimsWrongPredictions(string? claimFile)
    {
        if (string.IsNullOrEmpty(claimFile))
        {
            return false;
        }

        try
        {
            using var claim = new FileStream(claimFile, FileMode.CreateNew, FileAccess.Write);
            return true;
        }
        catch (IOException) when (File.Exists(claimFile))
        {
            return false;
        }
    }

    private static bool Flag(string key, string? text) =>
        text is null ? false
        : bool.TryParse(text, out var value) ? value
        : text == "1" || (text == "0" ? false : throw new InvalidSettingException($"{key} must be true or false, got '{text}'."));
}

/// <summary>A setting the server cannot start with; the message says which and why.</summary>
internal sealed class InvalidSettingException(string message) : Exception(message);
