using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
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

    /// <summary>How long others wait, after they last saw the Lease change, before they take it over.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long after its last successful renewal the leader gives up; shorter than <see cref="LeaseDuration"/>.</summary>
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Throws unless 0 &lt; retry period &lt; renew deadline &lt; lease duration.</summary>
    public void Validate()
    {
        if (RetryPeriod <= TimeSpan.Zero || RenewDeadline <= RetryPeriod || LeaseDuration <= RenewDeadline)
        {
            throw new ArgumentException(
                $"Leader election needs 0 < retry period ({RetryPeriod.TotalSeconds} s) < renew deadline ({RenewDeadline.TotalSeconds} s) < lease duration ({LeaseDuration.TotalSeconds} s): " +
                "the leader must give up before anyone else may take over.");
        }
    }
}

/// <summary>One period of leadership, handed to the work that runs while it lasts.</summary>
/// <param name="Number">Increases with each term of this instance.</param>
/// <param name="Stopping">Shutdown began: finish in-flight work (the Lease is still renewed meanwhile), start none.</param>
/// <param name="Lost">The Lease is no longer ours: stop at once, every write is refused from now on.</param>
internal readonly record struct LeaderTerm(long Number, CancellationToken Stopping, CancellationToken Lost);

/// <summary>
/// Runs work only while this instance holds a coordination.k8s.io/v1 Lease. The loop is client-go's: acquire
/// when the holder is empty or has not renewed for a lease duration as seen by our own clock, renew every retry
/// period, and give up once no renewal succeeded within the renew deadline, which is shorter than the lease
/// duration, so that the work is cancelled and the <see cref="Runtime.Leadership"/> fence closed before anyone
/// else may take over. On shutdown it lets the work finish, still renewing, then empties the holder so that a
/// successor takes over without waiting for the Lease to expire.
/// </summary>
internal sealed class LeaderElection
{
    private readonly IKubernetes client;
    private readonly LeaderElectionOptions options;
    private readonly ILogger<LeaderElection> logger;
    private readonly TimeProvider time;
    private readonly DistinctErrors loggedErrors = new();
    private string? observedVersion;
    private long observedAt;
    private string? lastHolder;

    public LeaderElection(IKubernetes client, LeaderElectionOptions options, ILogger<LeaderElection> logger, Leadership? leadership = null, TimeProvider? time = null)
    {
        if (options.Enabled)
        {
            options.Validate();
        }

        this.client = client;
        this.options = options;
        this.logger = logger;
        this.time = time ?? TimeProvider.System;
        Leadership = leadership ?? new Leadership(options.RenewDeadline, this.time);
    }

    public event Action? StartedLeading;

    public event Action? StoppedLeading;

    /// <summary>What the write fence asks before each write.</summary>
    public Leadership Leadership { get; }

    public bool IsLeader => Leadership.IsLeading;

    public string Identity => options.Identity;

    /// <summary>
    /// Calls <paramref name="whileLeading"/> each time leadership is gained and awaits it before competing
    /// again. Returns after <paramref name="stopping"/> is cancelled, the work has returned and the Lease is released.
    /// </summary>
    public async Task RunAsync(Func<LeaderTerm, Task> whileLeading, CancellationToken stopping)
    {
        if (!options.Enabled)
        {
            logger.LogInformation("Leader election is off; {Identity} leads alone", options.Identity);
            var number = Leadership.Begin(time.GetTimestamp());
            await LeadAsync(whileLeading, new LeaderTerm(number, stopping, CancellationToken.None));
            return;
        }

        logger.LogInformation("Competing for lease {Namespace}/{Lease} as {Identity}", options.LeaseNamespace, options.LeaseName, options.Identity);
        while (!stopping.IsCancellationRequested)
        {
            if (await AcquireAsync(stopping) is not { } sentAt)
            {
                break;
            }

            var number = Leadership.Begin(sentAt);
            using var lost = new CancellationTokenSource();
            using var stopRenewing = new CancellationTokenSource();
            var renewing = RenewUntilLostAsync(lost, stopRenewing.Token);
            await LeadAsync(whileLeading, new LeaderTerm(number, stopping, lost.Token));
            await stopRenewing.CancelAsync();
            await renewing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            Leadership.End();
            await ReleaseAsync();
            if (!stopping.IsCancellationRequested)
            {
                await Task.Delay(options.RetryPeriod, time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>Tries every retry period until the Lease is ours; returns the timestamp taken before the winning write, or null on shutdown.</summary>
    private async Task<long?> AcquireAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var sentAt = time.GetTimestamp();
            using (var attempt = CancellationTokenSource.CreateLinkedTokenSource(stopping))
            {
                attempt.CancelAfter(options.RenewDeadline);
                if (await TryAcquireOrRenewAsync(attempt.Token))
                {
                    return sentAt;
                }
            }

            // Jittered like client-go's wait.JitterUntil, so that followers do not knock in step.
            var wait = options.RetryPeriod * (1 + (Random.Shared.NextDouble() * 0.2));
            await Task.Delay(wait, time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        return null;
    }

    /// <summary>Renews every retry period; cancels <paramref name="lost"/> as soon as the renew deadline passed without a successful renewal.</summary>
    private async Task RenewUntilLostAsync(CancellationTokenSource lost, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var remaining = Leadership.Remaining();
            if (remaining > TimeSpan.Zero)
            {
                await Task.Delay(remaining < options.RetryPeriod ? remaining : options.RetryPeriod, time, stop)
                    .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                remaining = Leadership.Remaining();
            }

            if (remaining <= TimeSpan.Zero)
            {
                logger.LogWarning("{Identity} lost lease {Namespace}/{Lease}: no renewal succeeded within {RenewDeadline}", options.Identity, options.LeaseNamespace, options.LeaseName, options.RenewDeadline);
                Leadership.End();
                await lost.CancelAsync();
                return;
            }

            var sentAt = time.GetTimestamp();
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stop);
            attempt.CancelAfter(remaining);
            if (await TryAcquireOrRenewAsync(attempt.Token))
            {
                Leadership.Renewed(sentAt);
            }
        }
    }

    private async Task LeadAsync(Func<LeaderTerm, Task> whileLeading, LeaderTerm term)
    {
        logger.LogInformation("{Identity} started leading (term {Term})", options.Identity, term.Number);
        StartedLeading?.Invoke();
        try
        {
            // Everything the work starts carries its term, so that none of it can write in a later one.
            Leadership.EnterTerm(term.Number);
            await whileLeading(term);
        }
        catch (OperationCanceledException) when (term.Stopping.IsCancellationRequested || term.Lost.IsCancellationRequested)
        {
        }
        finally
        {
            Leadership.End();
            logger.LogInformation("{Identity} stopped leading (term {Term})", options.Identity, term.Number);
            StoppedLeading?.Invoke();
        }
    }

    /// <summary>One round of client-go's tryAcquireOrRenew: true when the Lease is ours after it.</summary>
    private async Task<bool> TryAcquireOrRenewAsync(CancellationToken ct)
    {
        try
        {
            V1Lease lease;
            try
            {
                lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(options.LeaseName, options.LeaseNamespace, cancellationToken: ct);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
            {
                var created = new V1Lease
                {
                    Metadata = new V1ObjectMeta { Name = options.LeaseName, NamespaceProperty = options.LeaseNamespace },
                    Spec = Claim(null),
                };
                Observe(await client.CoordinationV1.CreateNamespacedLeaseAsync(created, options.LeaseNamespace, cancellationToken: ct));
                return true;
            }

            Observe(lease);
            var spec = lease.Spec ?? new V1LeaseSpec();
            var holder = spec.HolderIdentity;
            if (!string.IsNullOrEmpty(holder) && holder != options.Identity)
            {
                var duration = TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? (int)options.LeaseDuration.TotalSeconds);
                if (time.GetElapsedTime(observedAt) < duration)
                {
                    return false;
                }

                logger.LogInformation("Lease {Namespace}/{Lease} held by {Holder} was not renewed for {Duration}; taking it over", options.LeaseNamespace, options.LeaseName, holder, duration);
            }

            lease.Spec = Claim(spec);
            // The resourceVersion read above makes this a compare-and-swap: a racing writer gets 409.
            Observe(await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, options.LeaseName, options.LeaseNamespace, cancellationToken: ct));
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or OperationCanceledException or KubernetesException)
        {
            if (loggedErrors.IsNew(e))
            {
                logger.LogWarning(e, "Leader election on {Namespace}/{Lease} failed", options.LeaseNamespace, options.LeaseName);
            }
            else
            {
                logger.LogWarning("Leader election on {Namespace}/{Lease} failed again: {Error}", options.LeaseNamespace, options.LeaseName, e.Message);
            }

            return false;
        }
    }

    private V1LeaseSpec Claim(V1LeaseSpec? current)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var renewal = current?.HolderIdentity == options.Identity;
        return new V1LeaseSpec
        {
            HolderIdentity = options.Identity,
            LeaseDurationSeconds = (int)Math.Ceiling(options.LeaseDuration.TotalSeconds),
            AcquireTime = renewal ? current!.AcquireTime ?? now : now,
            RenewTime = now,
            LeaseTransitions = renewal ? current!.LeaseTransitions ?? 0 : (current?.LeaseTransitions ?? -1) + 1,
        };
    }

    /// <summary>Notes when the Lease last changed, by our monotonic clock: a holder is expired only a lease duration after that.</summary>
    private void Observe(V1Lease lease)
    {
        if (lease.Metadata?.ResourceVersion != observedVersion)
        {
            observedVersion = lease.Metadata?.ResourceVersion;
            observedAt = time.GetTimestamp();
        }

        var holder = lease.Spec?.HolderIdentity;
        if (holder != lastHolder)
        {
            lastHolder = holder;
            logger.LogInformation("Lease {Namespace}/{Lease} is held by {Leader}", options.LeaseNamespace, options.LeaseName, string.IsNullOrEmpty(holder) ? "nobody" : holder);
        }
    }

    /// <summary>
    /// Empties the holder if it is still us. The renew and acquire times stay set on purpose: KubernetesClient's
    /// LeaderElector (older operator versions) treats a Lease without them as missing and tries to create it.
    /// </summary>
    private async Task ReleaseAsync()
    {
        for (var attempt = 1; attempt <= 3; attempt++)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                var current = await client.CoordinationV1.ReadNamespacedLeaseAsync(options.LeaseName, options.LeaseNamespace, cancellationToken: timeout.Token);
                if (current.Spec?.HolderIdentity != options.Identity)
                {
                    return;
                }

                current.Spec.HolderIdentity = string.Empty;
                current.Spec.LeaseDurationSeconds = 1;
                current.Spec.RenewTime = time.GetUtcNow().UtcDateTime;
                current.Spec.AcquireTime ??= current.Spec.RenewTime;
                await client.CoordinationV1.ReplaceNamespacedLeaseAsync(current, options.LeaseName, options.LeaseNamespace, cancellationToken: timeout.Token);
                logger.LogInformation("Released lease {Namespace}/{Lease}", options.LeaseNamespace, options.LeaseName);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
            {
                // A renewal raced with us; read again.
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or OperationCanceledException)
            {
                logger.LogWarning("Releasing lease {Namespace}/{Lease} failed (attempt {Attempt}): {Error}", options.LeaseNamespace, options.LeaseName, attempt, e.Message);
            }
        }

        logger.LogWarning("Lease {Namespace}/{Lease} not released; a successor takes over when it expires", options.LeaseNamespace, options.LeaseName);
    }
}
