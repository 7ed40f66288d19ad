using System.Net;
using System.Text;
using BlueGreenOperator.Runtime;
using FluentAssertions;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Patience;

namespace BlueGreenOperator.Tests.Runtime;

[TestFixture]
public sealed class LeaderElectionTests
{
    // Well below the 60 s lease, so a takeover within it proves the lease was released.

    [Test]
    public async Task Should_lead_at_once_when_leader_election_is_off()
    {
        var election = new LeaderElection(null!, new LeaderElectionOptions { Enabled = false }, NullLogger<LeaderElection>.Instance);
        using var stop = new CancellationTokenSource();
        var leading = new TaskCompletionSource<bool>();

        var run = election.RunAsync(
            async term =>
            {
                leading.TrySetResult(election.IsLeader && election.Leadership.WhyNotWrite() is null);
                await Task.Delay(Timeout.Infinite, term.Stopping);
            },
            stop.Token);

        (await leading.Task.WaitAsync(Wait)).Should().BeTrue();
        await stop.CancelAsync();
        await run.WaitAsync(Wait);
        election.IsLeader.Should().BeFalse();
    }

    [Test]
    public async Task Should_release_the_lease_on_shutdown_so_that_a_follower_takes_over_before_it_expires()
    {
        using var api = new LeaseServer();
        // The lease outlives the test's wait: the follower can only take over in time if the leader released it.
        var options = new LeaderElectionOptions
        {
            LeaseName = "bluegreen-operator",
            LeaseNamespace = "ops",
            LeaseDuration = TimeSpan.FromSeconds(60),
            RenewDeadline = TimeSpan.FromSeconds(40),
            RetryPeriod = TimeSpan.FromSeconds(1),
        };
        using var firstClient = api.Client();
        using var secondClient = api.Client();
        var first = new LeaderElection(firstClient, options with { Identity = "first" }, NullLogger<LeaderElection>.Instance);
        var second = new LeaderElection(secondClient, options with { Identity = "second" }, NullLogger<LeaderElection>.Instance);
        using var stopFirst = new CancellationTokenSource();
        using var stopSecond = new CancellationTokenSource();
        var firstLeads = new TaskCompletionSource();
        var secondLeads = new TaskCompletionSource();

        var firstRun = first.RunAsync(term => LeadUntilCancelled(firstLeads, term), stopFirst.Token);
        await firstLeads.Task.WaitAsync(Wait);
        var secondRun = second.RunAsync(term => LeadUntilCancelled(secondLeads, term), stopSecond.Token);
        await Task.Delay(1000);
        second.IsLeader.Should().BeFalse("the lease is held by the first instance");
        api.Holder.Should().Be("first");

        await stopFirst.CancelAsync();
        await firstRun.WaitAsync(Wait);
        first.IsLeader.Should().BeFalse();

        await secondLeads.Task.WaitAsync(Wait);
        second.IsLeader.Should().BeTrue();
        api.Holder.Should().Be("second");

        await stopSecond.CancelAsync();
        await secondRun.WaitAsync(Wait);
        api.Holder.Should().BeEmpty();
    }

    [Test]
    public async Task Should_cancel_the_term_and_close_the_fence_before_a_follower_can_take_over_when_renewals_fail()
    {
        using var api = new LeaseServer();
        var options = new LeaderElectionOptions
        {
            LeaseName = "bluegreen-operator",
            LeaseNamespace = "ops",
            LeaseDuration = TimeSpan.FromSeconds(3),
            RenewDeadline = TimeSpan.FromSeconds(2),
            RetryPeriod = TimeSpan.FromMilliseconds(300),
        };
        using var firstClient = api.Client();
        using var secondClient = api.Client();
        var first = new LeaderElection(firstClient, options with { Identity = "first" }, NullLogger<LeaderElection>.Instance);
        var second = new LeaderElection(secondClient, options with { Identity = "second" }, NullLogger<LeaderElection>.Instance);
        using var stop = new CancellationTokenSource();
        var firstLeads = new TaskCompletionSource();
        var secondLeads = new TaskCompletionSource();
        var order = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var firstLost = new TaskCompletionSource();

        var firstRun = first.RunAsync(
            async term =>
            {
                term.Lost.Register(() =>
                {
                    order.Enqueue(first.Leadership.WhyNotWrite() is null ? "first lost, fence open" : "first lost, fence closed");
                    firstLost.TrySetResult();
                });
                await LeadUntilCancelled(firstLeads, term);
            },
            stop.Token);
        await firstLeads.Task.WaitAsync(Wait);
        first.Leadership.WhyNotWrite().Should().BeNull();
        var secondRun = second.RunAsync(
            async term =>
            {
                order.Enqueue("second leads");
                await LeadUntilCancelled(secondLeads, term);
            },
            stop.Token);

        api.RefuseRenewalsOf("first");
        await secondLeads.Task.WaitAsync(Wait);
        await firstLost.Task.WaitAsync(Wait);

        order.Should().Equal(["first lost, fence closed", "second leads"], "the old leader stops writing before anyone else may lead");
        first.IsLeader.Should().BeFalse();
        first.Leadership.WhyNotWrite().Should().NotBeNull();
        api.Holder.Should().Be("second");
        await stop.CancelAsync();
        await Task.WhenAll(firstRun, secondRun).WaitAsync(Wait);
    }

    [TestCase(15, 15, 2)]
    [TestCase(15, 20, 2)]
    [TestCase(15, 10, 10)]
    [TestCase(15, 10, 0)]
    public void Should_refuse_timings_where_the_leader_could_outlive_its_lease(int leaseSeconds, int renewSeconds, int retrySeconds)
    {
        var options = new LeaderElectionOptions
        {
            LeaseDuration = TimeSpan.FromSeconds(leaseSeconds),
            RenewDeadline = TimeSpan.FromSeconds(renewSeconds),
            RetryPeriod = TimeSpan.FromSeconds(retrySeconds),
        };

        var act = () => new LeaderElection(null!, options, NullLogger<LeaderElection>.Instance);

        act.Should().Throw<ArgumentException>().WithMessage("*renew deadline*lease duration*");
    }

    private static async Task LeadUntilCancelled(TaskCompletionSource leads, LeaderTerm term)
    {
        leads.TrySetResult();
        using var either = CancellationTokenSource.CreateLinkedTokenSource(term.Stopping, term.Lost);
        await Task.Delay(Timeout.Infinite, either.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>A loopback server holding one coordination.k8s.io/v1 Lease with optimistic concurrency, as the API server does.</summary>
    private sealed class LeaseServer : IDisposable
    {
        private readonly object gate = new();
        private readonly HttpListener listener = new();
        private readonly Uri address;
        private V1Lease? lease;
        private long version;
        private string? refused;

        public LeaseServer()
        {
            address = Loopback.FreeAddress();
            listener.Prefixes.Add(address.ToString());
            listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string? Holder
        {
            get
            {
                lock (gate)
                {
                    return lease?.Spec.HolderIdentity;
                }
            }
        }

        /// <summary>From now on, a write that would keep <paramref name="identity"/> as the holder fails as if the server were unreachable for it.</summary>
        public void RefuseRenewalsOf(string identity)
        {
            lock (gate)
            {
                refused = identity;
            }
        }

        public Kubernetes Client() => new(new KubernetesClientConfiguration { Host = address.ToString() });

        public void Dispose()
        {
            listener.Stop();
            listener.Close();
        }

        private async Task ServeAsync()
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
                {
                    return;
                }

                using var reader = new StreamReader(context.Request.InputStream);
                var body = await reader.ReadToEndAsync();
                var (status, reply) = Handle(context.Request.HttpMethod, body);
                var bytes = Encoding.UTF8.GetBytes(reply);
                context.Response.StatusCode = status;
                context.Response.ContentType = "application/json";
                context.Response.ContentLength64 = bytes.Length;
                await context.Response.OutputStream.WriteAsync(bytes);
                context.Response.Close();
            }
        }

        private (int Status, string Body) Handle(string method, string body)
        {
            lock (gate)
            {
                switch (method)
                {
                    case "GET":
                        return lease is null ? (404, Status(404, "NotFound")) : (200, KubernetesJson.Serialize(lease));
                    case "POST" when lease is null:
                        lease = KubernetesJson.Deserialize<V1Lease>(body);
                        lease.Metadata.ResourceVersion = (++version).ToString(System.Globalization.CultureInfo.InvariantCulture);
                        return (201, KubernetesJson.Serialize(lease));
                    case "POST":
                        return (409, Status(409, "AlreadyExists"));
                    case "PUT" when refused is not null && KubernetesJson.Deserialize<V1Lease>(body).Spec?.HolderIdentity == refused:
                        return (503, Status(503, "ServiceUnavailable"));
                    case "PUT":
                        var replacement = KubernetesJson.Deserialize<V1Lease>(body);
                        if (lease is null || replacement.Metadata.ResourceVersion != lease.Metadata.ResourceVersion)
                        {
                            return (409, Status(409, "Conflict"));
                        }

                        replacement.Metadata.ResourceVersion = (++version).ToString(System.Globalization.CultureInfo.InvariantCulture);
                        lease = replacement;
                        return (200, KubernetesJson.Serialize(lease));
                    default:
                        return (405, Status(405, "MethodNotAllowed"));
                }
            }
        }

        private static string Status(int code, string reason) =>
            $$$"""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","reason":"{{{reason}}}","code":{{{code}}}}""";
    }
}
