using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using BlueGreenOperator.Hosting;
using BlueGreenOperator.Tests.Runtime;
using FluentAssertions;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace BlueGreenOperator.Tests.Hosting;

[TestFixture]
internal sealed class ProbeServerTests
{
    [TestCase("http://0.0.0.0:8080", "+", 8080)]
    [TestCase("http://*:9000/", "+", 9000)]
    [TestCase("http://+:9000", "+", 9000)]
    [TestCase("http://127.0.0.1:18080", "127.0.0.1", 18080)]
    [TestCase(" HTTP://localhost:80 ", "localhost", 80)]
    public void Should_read_a_listen_url_as_a_host_and_a_port(string url, string host, int port)
    {
        var address = ListenAddress.Parse(url);

        address.Should().Be(new ListenAddress(host, port));
        address.Prefix("healthz").Should().Be($"http://{host}:{port.ToString(CultureInfo.InvariantCulture)}/healthz/");
    }

    [TestCase("https://0.0.0.0:8443", "plain http")]
    [TestCase("0.0.0.0:8080", "plain http")]
    [TestCase("http://0.0.0.0", "a host and a port")]
    [TestCase("http://0.0.0.0:0", "a host and a port")]
    [TestCase("http://0.0.0.0:70000", "a host and a port")]
    [TestCase("http://0.0.0.0:80x", "a host and a port")]
    [TestCase("http://[::1]", "a host and a port")]
    [TestCase("http://0.0.0.0:8080/metrics", "a host and a port")]
    [TestCase("http://user@0.0.0.0:8080", "a host and a port only")]
    public void Should_refuse_a_listen_url_with_the_reason(string url, string reason)
    {
        var parse = () => ListenAddress.Parse(url);

        parse.Should().Throw<FormatException>().Which.Message.Should().Contain(reason).And.Contain(ListenAddress.Default);
    }

    [Test]
    public void Should_answer_each_probe_and_refuse_other_paths_and_methods()
    {
        var server = new ProbeServer(new ListenAddress("127.0.0.1", 1), Health(), NullLogger<ProbeServer>.Instance);

        server.Respond("GET", "/healthz").Should().Be((200, "ok: starting\n"));
        server.Respond("HEAD", "/healthz/").Should().Be((200, "ok: starting\n"));
        server.Respond("GET", "/readyz").Should().Be((503, "not ready: starting\n"));
        server.Respond("POST", "/readyz").Status.Should().Be(405);
        server.Respond("GET", "/healthz/extra").Status.Should().Be(404);
        server.Respond("GET", "/").Status.Should().Be(404);
    }

    [Test]
    public async Task Should_serve_the_probes_and_the_metrics_on_one_port()
    {
        using var meter = new Meter("bluegreen.probe-server-test");
        var address = new ListenAddress("127.0.0.1", Loopback.FreeAddress().Port);
        // As the operator starts: the probes take the port, then the exporter's listener joins it.
        using var server = new ProbeServer(address, Health(), NullLogger<ProbeServer>.Instance);
        server.Listen();
        using var metrics = Sdk.CreateMeterProviderBuilder().AddMeter(meter.Name).AddPrometheusEndpoint(address).Build();
        meter.CreateCounter<long>("probe_server_test_requests").Add(3);
        await server.StartAsync(CancellationToken.None);
        using var http = new HttpClient { BaseAddress = new Uri(address.ToString()) };
        try
        {
            var liveness = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
            var readiness = await http.GetAsync(new Uri("/readyz", UriKind.Relative));
            var scrape = await http.GetAsync(new Uri("/metrics", UriKind.Relative));
            var other = await http.GetAsync(new Uri("/debug", UriKind.Relative));

            liveness.StatusCode.Should().Be(HttpStatusCode.OK);
            liveness.Content.Headers.ContentType!.ToString().Should().Be("text/plain; charset=utf-8");
            (await liveness.Content.ReadAsStringAsync()).Should().Be("ok: starting\n");
            readiness.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            (await readiness.Content.ReadAsStringAsync()).Should().Be("not ready: starting\n");
            scrape.StatusCode.Should().Be(HttpStatusCode.OK);
            (await scrape.Content.ReadAsStringAsync()).Should().Contain("probe_server_test_requests_total").And.Contain(" 3");
            other.StatusCode.Should().Be(HttpStatusCode.NotFound);
        }
        finally
        {
            await server.StopAsync(CancellationToken.None);
        }

        var afterStop = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
        afterStop.StatusCode.Should().Be(HttpStatusCode.NotFound, "a stopped server no longer answers the probes; the port stays the exporter's");
    }

    [Test]
    public async Task Should_fail_to_start_with_the_address_when_the_port_is_taken()
    {
        using var blocker = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var taken = new ListenAddress("127.0.0.1", ((IPEndPoint)blocker.LocalEndpoint).Port);
        using var second = new ProbeServer(taken, Health(), NullLogger<ProbeServer>.Instance);

        var start = () => second.StartAsync(CancellationToken.None);

        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain($"cannot listen on {taken}");
    }

    [Test]
    public async Task Should_open_the_port_again_when_a_connection_raced_its_opening()
    {
        var address = new ListenAddress("127.0.0.1", Loopback.FreeAddress().Port);
        var attempts = 0;
        using var server = new ProbeServer(address, Health(), NullLogger<ProbeServer>.Instance, listener =>
        {
            if (++attempts == 1)
            {
                // What the runtime's lost race does: Start throws, and the socket it bound stays open until finalized.
                LeaveBoundSocket(address.Port);
                throw new ArgumentNullException("obj");
            }

            listener.Start();
        });

        server.Listen();
        await server.StartAsync(CancellationToken.None);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(address.ToString()) };
            (await http.GetAsync(new Uri("/healthz", UriKind.Relative))).StatusCode.Should().Be(HttpStatusCode.OK);
            attempts.Should().Be(2, "the second attempt opens the port once the first one's socket is collected");
        }
        finally
        {
            await server.StopAsync(CancellationToken.None);
        }
    }

    [Test]
    public void Should_give_up_after_five_lost_races_with_the_address()
    {
        var address = new ListenAddress("127.0.0.1", Loopback.FreeAddress().Port);
        var attempts = 0;
        using var server = new ProbeServer(address, Health(), NullLogger<ProbeServer>.Instance, _ =>
        {
            attempts++;
            throw new ArgumentNullException("obj");
        });

        var listen = server.Listen;

        listen.Should().Throw<InvalidOperationException>().Which.Message.Should().StartWith($"cannot listen on {address}: connections kept arriving");
        attempts.Should().Be(ListenerStart.Attempts);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void LeaveBoundSocket(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
        socket.Listen();
    }

    private static OperatorHealth Health() =>
        new(new HealthBounds(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(15)), new ManualTimeProvider());
}
