namespace ModelServer.Serving;

/// <summary>Ready once the startup delay has passed (never, when told so); live from the first moment.</summary>
internal sealed class ModelReadiness(ServerSettings settings, TimeProvider time)
{
    private readonly long startedAt = time.GetTimestamp();

    public bool IsReady => !settings.NeverReady && time.GetElapsedTime(startedAt) >= settings.StartupDelay;
}
