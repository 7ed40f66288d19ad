namespace BlueGreenOperator.LocalCluster;

/// <summary>Waits for a condition in the cluster, polling at a modest rate.</summary>
public static class Eventually
{
    public static async Task<T> WaitForAsync<T>(
        Func<CancellationToken, Task<T?>> probe,
        TimeSpan timeout,
        string description,
        CancellationToken cancellationToken = default,
        TimeSpan? interval = null)
        where T : class
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Exception? lastError = null;
        while (true)
        {
            try
            {
                var value = await probe(deadline.Token);
                if (value is not null)
                {
                    return value;
                }
            }
            catch (Exception ex) when (!deadline.IsCancellationRequested && ex is not OperationCanceledException)
            {
                lastError = ex;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // The deadline passed during the probe itself; reported below.
            }

            try
            {
                await Task.Delay(interval ?? TimeSpan.FromMilliseconds(250), deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {description}", lastError);
            }
        }
    }

    public static Task UntilAsync(
        Func<CancellationToken, Task<bool>> condition,
        TimeSpan timeout,
        string description,
        CancellationToken cancellationToken = default,
        TimeSpan? interval = null) =>
        WaitForAsync<object>(
            async token => await condition(token) ? true : null,
            timeout,
            description,
            cancellationToken,
            interval);
}
