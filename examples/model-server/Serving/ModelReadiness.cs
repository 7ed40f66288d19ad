using ModelServer.Iris;

namespace ModelServer.Serving;

/// <summary>
/// Ready once the model is trained and warmed up and the startup delay has passed (never, when told so); live from the
/// first moment.
/// </summary>
internal sealed class ModelReadiness(ServerSettings settings, Task<TrainedModel> warmedUp, TimeProvider time)
{
    private readonly long startedAt = time.GetTimestamp();

    public bool IsReady =>
        !settings.NeverReady && warmedUp.IsCompletedSuccessfully && time.GetElapsedTime(startedAt) >= settings.StartupDelay;
}
