using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace ModelServer.Serving;

/// <summary>Counts inference requests and their latency, and writes them in the Prometheus text format.</summary>
internal sealed class InferenceMetrics(ServerSettings settings, ColdStart coldStart)
{
    private static readonly double[] BucketBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly ConcurrentDictionary<int, Counter> requestsByCode = new();
    private readonly Counter errors = new();
    private readonly long[] bucketCounts = new long[BucketBounds.Length];
    private readonly Lock histogramLock = new();
    private double durationSum;
    private long durationCount;

    public void Record(int statusCode, TimeSpan duration)
    {
        requestsByCode.GetOrAdd(statusCode, _ => new Counter()).Increment();
        if (statusCode >= 400)
        {
            errors.Increment();
        }

        var seconds = duration.TotalSeconds;
        lock (histogramLock)
        {
            durationSum += seconds;
            durationCount++;
            for (var i = 0; i < BucketBounds.Length; i++)
            {
                if (seconds <= BucketBounds[i])
                {
                    bucketCounts[i]++;
                }
            }
        }
    }

    public string Render()
    {
        var labels = $"model=\"{Escape(settings.ModelName)}\",version=\"{Escape(settings.ReportedVersion)}\"";
        var text = new StringBuilder();
        text.Append("# HELP model_requests_total Inference requests by model, version and HTTP status code.\n");
        text.Append("# TYPE model_requests_total counter\n");
        foreach (var (code, counter) in requestsByCode.OrderBy(pair => pair.Key))
        {
            text.Append(CultureInfo.InvariantCulture, $"model_requests_total{{{labels},code=\"{code}\"}} {counter.Value}\n");
        }

        text.Append("# HELP model_request_errors_total Inference requests answered with a 4xx or 5xx status.\n");
        text.Append("# TYPE model_request_errors_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"model_request_errors_total{{{labels}}} {errors.Value}\n");

        text.Append("# HELP model_cold_start_requests_total Inference requests that waited for the model's cold start.\n");
        text.Append("# TYPE model_cold_start_requests_total counter\n");
        text.Append(CultureInfo.InvariantCulture, $"model_cold_start_requests_total{{{labels}}} {coldStart.ColdRequests}\n");

        text.Append("# HELP model_inference_duration_seconds Time to answer an inference request.\n");
        text.Append("# TYPE model_inference_duration_seconds histogram\n");
        lock (histogramLock)
        {
            for (var i = 0; i < BucketBounds.Length; i++)
            {
                text.Append(CultureInfo.InvariantCulture,
                    $"model_inference_duration_seconds_bucket{{{labels},le=\"{BucketBounds[i]}\"}} {bucketCounts[i]}\n");
            }

            text.Append(CultureInfo.InvariantCulture, $"model_inference_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {durationCount}\n");
            text.Append(CultureInfo.InvariantCulture, $"model_inference_duration_seconds_sum{{{labels}}} {durationSum}\n");
            text.Append(CultureInfo.InvariantCulture, $"model_inference_duration_seconds_count{{{labels}}} {durationCount}\n");
        }

        return text.ToString();
    }

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("\"", "\\\"", StringComparison.Ordinal)
            .Replace("\n", "\\n", StringComparison.Ordinal);

    private sealed class Counter
    {
        private long value;

        public long Value => Interlocked.Read(ref value);

        public void Increment() => Interlocked.Increment(ref value);
    }
}
