using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Logging;

namespace BlueGreenOperator.Runtime;

internal sealed record LeaderElectionOptions
{
    /// <summary>Off: this instance leads at once and alone (single-instance runs, local development).</summary>
    public bool Enabled { get; init; } = true;

    public string LeaseName { get; init; } = "bluegreen-operator";

    public string LeaseNamespace { get; init; } = "default";

    /// <summary>Unique per process; the pod name plus a random suffix is a good choice.</summary>
    public string Identity { get; init; } = $"{Environment.MachineName}-{Guid.NewGuid():N}";

    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);
}

/// <summary>
/// Runs work only while this instance holds a coordination.k8s.io/v1 Lease, using KubernetesClient's
/// LeaderElector, and gives the Lease up on shutdown so that a successor takes over without waiting for it to expire.
/// </summary>
internal sealed class LeaderElection(IKubernetes client, LeaderElectionOptions options, ILogger<LeaderElection> logger)
{
    private volatile bool isLeader;

    public event Action? StartedLeading;

    public event Action? StoppedLeading;

    public bool IsLeader => isLeader;

    public string Identity => options.Identity;

    /// <summary>
    /// Calls <paramref name="whileLeading"/> each time leadership is gained, with a token cancelled when it
    /// is lost or on shutdown, and awaits it before competing again. Returns after
    /// <paramref name="cancellationToken"/> is cancelled, the work has returned and the Lease is released.
    /// </summary>
    public async Task RunAsync(Func<CancellationToken, Task> whileLeading, CancellationToken cancellationToken)
    {
        if (!options.Enabled)
        {
            logger.LogInformation("Leader election is off; {Identity} leads alone", options.Identity);
            await LeadAsync(whileLeading, cancellationToken);
            return;
        }

        var leaseLock = new LeaseLock(client, options.LeaseNamespace, options.LeaseName, options.Identity);
        using var elector = new LeaderElector(new LeaderElectionConfig(leaseLock)
        {
            LeaseDuration = options.LeaseDuration,
            RenewDeadline = options.RenewDeadline,
            RetryPeriod = options.RetryPeriod,
        });

        CancellationTokenSource? term = null;
        Task termWork = Task.CompletedTask;
        elector.OnStartedLeading += () =>
        {
            term = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            termWork = LeadAsync(whileLeading, term.Token);
        };
        elector.OnStoppedLeading += () => term?.Cancel();
        elector.OnNewLeader += leader => logger.LogInformation("Lease {Namespace}/{Lease} is held by {Leader}", options.LeaseNamespace, options.LeaseName, leader);
        elector.OnError += e => logger.LogWarning(e, "Leader election on {Namespace}/{Lease} failed", options.LeaseNamespace, options.LeaseName);

        logger.LogInformation("Competing for lease {Namespace}/{Lease} as {Identity}", options.LeaseNamespace, options.LeaseName, options.Identity);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await elector.RunUntilLeadershipLostAsync(cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                }
                catch (Exception e)
                {
                    // The elector lets transport errors (API server unreachable) escape; keep competing.
                    logger.LogWarning(e, "Leader election on {Namespace}/{Lease} stopped with an error; retrying", options.LeaseNamespace, options.LeaseName);
                }

                // The elector returns when renewal failed or on shutdown; finish the term's work before competing again.
                await termWork;
                term?.Dispose();
                term = null;
                if (!cancellationToken.IsCancellationRequested)
                {
                    await Task.Delay(options.RetryPeriod, cancellationToken)
                        .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }
        finally
        {
            await termWork.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await ReleaseAsync(leaseLock);
        }
    }

    private async Task LeadAsync(Func<CancellationToken, Task> whileLeading, CancellationToken term)
    {
        isLeader = true;
        logger.LogInformation("{Identity} started leading", options.Identity);
        StartedLeading?.Invoke();
        try
        {
            await whileLeading(term);
        }
        catch (OperationCanceledException) when (term.IsCancellationRequested)
        {
        }
        finally
        {
            isLeader = false;
            logger.LogInformation("{Identity} stopped leading", options.Identity);
            StoppedLeading?.Invoke();
        }
    }

    /// <summary>
    /// Empties the holder if it is still us. The renew and acquire times stay set on purpose: LeaderElector
    /// treats a Lease without them as missing and tries to create it, which fails forever once it exists.
    /// </summary>
    private async Task ReleaseAsync(LeaseLock leaseLock)
    {
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                var current = await leaseLock.GetAsync(timeout.Token);
                if (current.HolderIdentity != options.Identity)
                {
                    return;
                }

                var now = DateTime.UtcNow;
                var released = new LeaderElectionRecord
                {
                    HolderIdentity = string.Empty,
                    LeaseDurationSeconds = 1,
                    AcquireTime = current.AcquireTime ?? now,
                    RenewTime = now,
                    LeaderTransitions = current.LeaderTransitions,
                };

                // A renewal still in flight from the elector may win the race; the replace then conflicts and we read again.
                if (await leaseLock.UpdateAsync(released, timeout.Token))
                {
                    logger.LogInformation("Released lease {Namespace}/{Lease}", options.LeaseNamespace, options.LeaseName);
                    return;
                }
            }
            catch (Exception e) when (e is k8s.Autorest.HttpOperationException or HttpRequestException or OperationCanceledException)
            {
                logger.LogWarning(e, "Releasing lease {Namespace}/{Lease} failed (attempt {Attempt})", options.LeaseNamespace, options.LeaseName, attempt);
            }
        }

        logger.LogWarning("Lease {Namespace}/{Lease} not released; a successor takes over when it expires", options.LeaseNamespace, options.LeaseName);
    }
}
