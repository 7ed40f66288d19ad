namespace BlueGreenOperator.Plugin.Rendering;

/// <summary>Durations and timestamps the way kubectl prints them (5s, 3m12s, 4h, 2d5h).</summary>
internal static class Age
{
    public static string Since(DateTime? time, DateTimeOffset now) =>
        time is null ? "-" : Of(now - AsUtc(time.Value));

    public static string Of(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            return "0s";
        }

        var seconds = (long)span.TotalSeconds;
        var minutes = seconds / 60;
        var hours = minutes / 60;
        var days = hours / 24;
        return seconds switch
        {
            < 120 => $"{seconds}s",
            < 600 => seconds % 60 == 0 ? $"{minutes}m" : $"{minutes}m{seconds % 60}s",
            < 3 * 3600 => $"{minutes}m",
            < 8 * 3600 => minutes % 60 == 0 ? $"{hours}h" : $"{hours}h{minutes % 60}m",
            < 48 * 3600 => $"{hours}h",
            < 8 * 86400 => hours % 24 == 0 ? $"{days}d" : $"{days}d{hours % 24}h",
            < 2 * 365 * 86400 => $"{days}d",
            _ => $"{days / 365}y{days % 365}d",
        };
    }

    public static string Timestamp(DateTime time) =>
        AsUtc(time).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    // The client deserializes RFC 3339 times as UTC but may leave the kind unspecified.
    public static DateTimeOffset AsUtc(DateTime time) =>
        new(time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc));
}
