namespace BlueGreenOperator.Runtime;

/// <summary>A write refused before it was sent because this instance may not write (it does not hold a valid Lease).</summary>
internal sealed class WriteFencedException(string message) : Exception(message);

/// <summary>
/// The write fence in the Kubernetes client's HTTP pipeline, so that every write path passes it: any POST, PUT,
/// PATCH or DELETE other than the Lease's own requests is refused locally unless <see cref="Leadership"/> says
/// this instance leads and renewed within the renew deadline. Without a guard (leader election off, one
/// instance) the fence is open. Put it outside the request counter: refused writes are never sent.
/// </summary>
internal sealed class WriteFence : DelegatingHandler
{
    private Leadership? leadership;
    private string? leaseCollection;
    private string? leaseObject;
    private long refused;

    /// <summary>For end-to-end tests only: every guarded write waits this long before the fence looks, as if the instance stalled right before writing.</summary>
    public TimeSpan TestDelay { get; init; }

    /// <summary>Writes refused since start.</summary>
    public long Refused => Interlocked.Read(ref refused);

    /// <summary>Closes the fence to every write but the Lease's unless <paramref name="guard"/> allows it.</summary>
    public void Guard(Leadership guard, string leaseNamespace, string leaseName)
    {
        leaseCollection = $"/apis/coordination.k8s.io/v1/namespaces/{leaseNamespace}/leases";
        leaseObject = $"{leaseCollection}/{leaseName}";
        leadership = guard;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (leadership is { } guard && ApiRequestCounter.IsWrite(request.Method) && !IsLeaseRequest(request))
        {
            if (TestDelay > TimeSpan.Zero)
            {
                OperatorTelemetry.DelayedWrites.Add(1);
                try
                {
                    await Task.Delay(TestDelay, cancellationToken);
                }
                finally
                {
                    OperatorTelemetry.DelayedWrites.Add(-1);
                }
            }

            if (guard.WhyNotWrite() is { } reason)
            {
                Interlocked.Increment(ref refused);
                OperatorTelemetry.FencedWrites.Add(1, new KeyValuePair<string, object?>("verb", request.Method.Method));
                throw new WriteFencedException(
                    $"{request.Method.Method} {ApiRequestCounter.ResourceOf(request.RequestUri)} refused before it was sent: {reason}");
            }

            OperatorTelemetry.AllowedWrites.Add(1, new KeyValuePair<string, object?>("verb", request.Method.Method));
        }

        return await base.SendAsync(request, cancellationToken);
    }

    private bool IsLeaseRequest(HttpRequestMessage request)
    {
        var path = request.RequestUri?.AbsolutePath.TrimEnd('/');
        return path is not null && (path == leaseObject || (request.Method == HttpMethod.Post && path == leaseCollection));
    }
}
