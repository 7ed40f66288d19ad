using System.Text.RegularExpressions;
using BlueGreenOperator.Api;

namespace BlueGreenOperator.Checks.Replay;

/// <summary>The rules of spec.replay the API server cannot check, reported as InvalidSpec.</summary>
public static partial class ReplayRules
{
    public const int MaxConcurrency = 32;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex ConfigMapKey();

    public static void Validate(string at, ReplaySpec? replay, List<string> errors)
    {
        if (replay is null)
            return;
        if ((replay.ConfigMapRef is null) == (replay.Lines is null))
            errors.Add($"{at}: exactly one of configMapRef and lines is required");
        if (replay.ConfigMapRef is { } reference)
        {
            if (reference.Name.Length is 0 or > 253 || !Dns1123Subdomain().IsMatch(reference.Name))
                errors.Add($"{at}.configMapRef.name '{reference.Name}' is not a ConfigMap name");
            if (reference.Key.Length is 0 or > 253 || !ConfigMapKey().IsMatch(reference.Key))
                errors.Add($"{at}.configMapRef.key '{reference.Key}' is not a ConfigMap key");
        }

        if (replay.Lines is { } lines)
        {
            try
            {
                ReplayDataSet.Parse(string.Join('\n', lines), $"{at}.lines");
            }
            catch (ReplayDataException e)
            {
                errors.Add(e.Message);
            }
        }

        if (replay.Port is < 1 or > 65535)
            errors.Add($"{at}.port must be between 1 and 65535, got {replay.Port}");
        if (string.IsNullOrEmpty(replay.Model))
            errors.Add($"{at}.model is required");
        if (replay.SampleSize is < 1 or > ReplayDataSet.MaxSample)
            errors.Add($"{at}.sampleSize must be between 1 and {ReplayDataSet.MaxSample}, got {replay.SampleSize}");
        Rate($"{at}.minAgreement", replay.MinAgreement, errors);
        Rate($"{at}.maxAccuracyDrop", replay.MaxAccuracyDrop, errors);
        Rate($"{at}.minAccuracy", replay.MinAccuracy, errors);
        Rate($"{at}.maxErrorRate", replay.MaxErrorRate, errors);
        if (replay.MaxLatencyRatio is { } ratio && !(ratio >= 1))
            errors.Add($"{at}.maxLatencyRatio must be at least 1, got {ratio}");
        if (replay.LatencyFloorMs is < 0 or > 60_000)
            errors.Add($"{at}.latencyFloorMs must be between 0 and 60000, got {replay.LatencyFloorMs}");
        if (replay.Concurrency is < 1 or > MaxConcurrency)
            errors.Add($"{at}.concurrency must be between 1 and {MaxConcurrency}, got {replay.Concurrency}");
        if (replay.TimeoutSeconds is < 1 or > 300)
            errors.Add($"{at}.timeoutSeconds must be between 1 and 300, got {replay.TimeoutSeconds}");

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (rule, i) in (replay.Compare ?? []).Select((r, i) => (r, i)))
        {
            var where = $"{at}.compare[{i}]";
            if (string.IsNullOrEmpty(rule.Output))
                errors.Add($"{where}.output is required");
            else if (!seen.Add(rule.Output))
                errors.Add($"{where}.output '{rule.Output}' is compared twice");
            if (!ComparisonModes.All.Contains(rule.Mode))
                errors.Add($"{where}.mode must be one of {string.Join(", ", ComparisonModes.All)}, got '{rule.Mode}'");
            if (!(rule.Tolerance >= 0))
                errors.Add($"{where}.tolerance must be at least 0, got {rule.Tolerance}");
            if (rule.Classes is < 1)
                errors.Add($"{where}.classes must be at least 1, got {rule.Classes}");
        }
    }

    static void Rate(string at, double? value, List<string> errors)
    {
        if (value is { } rate && !(rate is >= 0 and <= 1))
            errors.Add($"{at} must be between 0 and 1, got {rate}");
    }
}
