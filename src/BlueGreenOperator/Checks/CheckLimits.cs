namespace BlueGreenOperator.Checks;

/// <summary>What one check attempt may cost the operator, whatever a pod or the spec does.</summary>
public sealed record CheckLimits
{
    public const int DefaultBodyBytes = 64 * 1024;
    public const int MinBodyBytes = 1024;
    public const int MaxBodyBytesAllowed = 16 * 1024 * 1024;

    /// <summary>
    /// The largest response body a check reads (<c>Operator__CheckBodyLimitBytes</c>): health and prediction answers
    /// take a few kilobytes; a larger body fails the attempt and is not read further.
    /// </summary>
    public int MaxBodyBytes { get; init; } = DefaultBodyBytes;

    public static CheckLimits From(int maxBodyBytes)
    {
        if (maxBodyBytes is < MinBodyBytes or > MaxBodyBytesAllowed)
            throw new ArgumentOutOfRangeException(nameof(maxBodyBytes), maxBodyBytes, $"the check body limit must be between {MinBodyBytes} and {MaxBodyBytesAllowed} bytes");
        return new CheckLimits { MaxBodyBytes = maxBodyBytes };
    }
}
