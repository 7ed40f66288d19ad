using System.Globalization;
using System.Text.Json.Nodes;

namespace ModelServer.Iris;

/// <summary>
/// The <c>evaluate-accuracy</c> command: an evaluation Job for a BlueGreenDeployment's job check. It sends the 150
/// iris flowers in one Open Inference Protocol v2 request to every pod under check (<c>BLUEGREEN_TARGET_PODS</c>, or
/// the preview Service with <c>--target preview</c>), compares the predicted classes with the species, writes
/// "accuracy 0.96 on 150 flowers (min 0.9)" as its termination message and fails when a pod is below the minimum.
/// </summary>
internal static class AccuracyEvaluation
{
    public const string Command = "evaluate-accuracy";

    public static async Task<int> RunAsync(string[] args, Func<string, string?> environment, TextWriter output)
    {
        var minimum = Option(args, "--min") is { } min ? double.Parse(min, CultureInfo.InvariantCulture) : 0.9;
        var model = environment("BLUEGREEN_MODEL_NAME") is { Length: > 0 } name ? name : "iris";
        var targets = Option(args, "--target") == "preview"
            ? [environment("BLUEGREEN_PREVIEW_URL") ?? ""]
            : (environment("BLUEGREEN_TARGET_PODS") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => $"http://{p}").ToArray();
        string message;
        var passed = false;
        if (targets.All(string.IsNullOrEmpty))
        {
            message = "no address to evaluate: BLUEGREEN_TARGET_PODS and BLUEGREEN_PREVIEW_URL are empty";
        }
        else
        {
            var samples = IrisDataSet.Load();
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            var results = new List<(string Target, double? Accuracy, string? Error)>();
            foreach (var target in targets)
                results.Add(await EvaluateAsync(http, target, model, samples));
            var worst = results.OrderBy(r => r.Accuracy ?? -1).First();
            var where = targets.Length > 1 ? $" at {new Uri(worst.Target).Authority}, the lowest of {targets.Length} pods" : "";
            passed = worst.Accuracy >= minimum;
            message = worst.Accuracy is { } accuracy
                ? string.Create(CultureInfo.InvariantCulture, $"accuracy {accuracy:0.00} on {samples.Count} flowers (min {minimum}){where}")
                : $"evaluation failed{where}: {worst.Error}";
        }

        await output.WriteLineAsync(message);
        var path = environment("BLUEGREEN_TERMINATION_MESSAGE_PATH") is { Length: > 0 } local ? local : "/dev/termination-log";
        try
        {
            await File.WriteAllTextAsync(path, message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await output.WriteLineAsync($"could not write the termination message to {path}: {e.Message}");
        }

        return passed ? 0 : 1;
    }

    static async Task<(string Target, double? Accuracy, string? Error)> EvaluateAsync(HttpClient http, string target, string model, IReadOnlyList<IrisSample> samples)
    {
        var request = new JsonObject
        {
            ["inputs"] = new JsonArray(new JsonObject
            {
                ["name"] = "input-0",
                ["shape"] = new JsonArray(samples.Count, IrisDataSet.FeatureCount),
                ["datatype"] = "FP32",
                ["data"] = new JsonArray([.. samples.SelectMany(s => s.Features).Select(f => (JsonNode)f)]),
            }),
            ["outputs"] = new JsonArray(new JsonObject { ["name"] = "output-0" }),
        };
        try
        {
            using var response = await http.PostAsync(
                new Uri($"{target.TrimEnd('/')}/v2/models/{Uri.EscapeDataString(model)}/infer"),
                new StringContent(request.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));
            var body = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
                return (target, null, $"HTTP {(int)response.StatusCode}: {body[..Math.Min(body.Length, 120)]}");
            var classes = JsonNode.Parse(body)?["outputs"]?.AsArray()
                .FirstOrDefault(o => o?["name"]?.GetValue<string>() == "output-0")?["data"]?.AsArray()
                .Select(v => v!.GetValue<long>()).ToList();
            if (classes is null || classes.Count != samples.Count)
                return (target, null, $"expected {samples.Count} classes in output-0, got {classes?.Count ?? 0}");
            var right = samples.Where((s, i) => classes[i] == s.Species).Count();
            return (target, (double)right / samples.Count, null);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return (target, null, e.Message);
        }
    }

    static string? Option(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }
}
