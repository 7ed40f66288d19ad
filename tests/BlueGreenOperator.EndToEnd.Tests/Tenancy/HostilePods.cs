using System.Globalization;
using BlueGreenOperator.Api;
using k8s.Models;

namespace BlueGreenOperator.EndToEnd.Tests.Tenancy;

/// <summary>
/// A model server that means harm, as a real pod: ready at once, and answering every other request with a valid
/// prediction of about <c>bytes</c> (one long output), 64 KiB every <c>pause</c> seconds (chunked), so that a client
/// reading it all holds it for as long as the check allows and then parses a million numbers.
/// </summary>
internal static class HostilePods
{
    public const int Port = 8080;

    const string Script = """
        import http.server, sys, time
        pause, size = float(sys.argv[1]), int(sys.argv[2])
        numbers = b'0.1, 0.2, 0.3, 0.4, ' * 3276
        head, tail = b'{"outputs":[{"name":"output-0","data":[', b'7]}]}'
        class Hostile(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'
            def log_message(self, *args):
                pass
            def send(self, part):
                self.wfile.write(b'%x\r\n%s\r\n' % (len(part), part))
                self.wfile.flush()
            def do_GET(self):
                if self.path == '/ready':
                    self.send_response(200)
                    self.send_header('Content-Length', '2')
                    self.end_headers()
                    self.wfile.write(b'ok')
                    return
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Transfer-Encoding', 'chunked')
                self.end_headers()
                try:
                    self.send(head)
                    sent = len(head) + len(tail)
                    while sent + len(numbers) <= size:
                        time.sleep(pause)
                        self.send(numbers)
                        sent += len(numbers)
                    self.send(tail)
                    self.wfile.write(b'0\r\n\r\n')
                except OSError:
                    pass
            do_POST = do_GET
        http.server.ThreadingHTTPServer(('0.0.0.0', 8080), Hostile).serve_forever()
        """;

    /// <summary>The hostile server's pod template: the local image table runs python for this image.</summary>
    public static V1PodTemplateSpec Template(double pauseSeconds, int bytes) => new()
    {
        Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "hostile" } },
        Spec = new V1PodSpec
        {
            TerminationGracePeriodSeconds = 1,
            Containers =
            [
                new V1Container
                {
                    Name = "server",
                    Image = "bluegreen.dev/busybox-http",
                    Command = ["/usr/bin/python3", "-c", Script, pauseSeconds.ToString(CultureInfo.InvariantCulture), bytes.ToString(CultureInfo.InvariantCulture)],
                    Ports = [new V1ContainerPort { ContainerPort = Port, Name = "http" }],
                    ReadinessProbe = new V1Probe { HttpGet = new V1HTTPGetAction { Path = "/ready", Port = Port }, PeriodSeconds = 1 },
                },
            ],
        },
    };

    /// <summary>A BlueGreenDeployment of <paramref name="replicas"/> hostile pods whose smoke tests read their bodies.</summary>
    public static BlueGreenDeployment Rollout(string name, int replicas, double pauseSeconds, int bytes, int timeoutSeconds) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new BlueGreenDeploymentSpec
        {
            Replicas = replicas,
            Model = new ModelSpec { Name = "iris", Version = "hostile" },
            Template = Template(pauseSeconds, bytes),
            Service = new ServiceSpec { Name = name, Ports = [new ServicePortSpec { Name = "http", Port = 80, TargetPort = Port }] },
            Strategy = new StrategySpec { ProgressDeadlineSeconds = 600 },
            SmokeTests =
            [
                new CheckSpec
                {
                    Name = "golden",
                    TimeoutSeconds = timeoutSeconds,
                    // The example model server's golden prediction, on the same port.
                    Inference = ModelRollout.Golden(),
                },
            ],
        },
    };
}
