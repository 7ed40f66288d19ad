using System.Globalization;
using BlueGreenOperator.Api;

namespace BlueGreenOperator.EndToEnd.Tests.Tenancy;

/// <summary>
/// A model server that means harm, as a real pod: ready at once, and answering every other request with a valid
/// prediction of about <c>bytes</c> (one long output), 64 KiB every <c>pause</c> seconds (chunked), so that a client
/// reading it all holds it for as long as the check allows and then parses a million numbers.
/// </summary>
internal static class HostilePods
{
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

    /// <summary>A BlueGreenDeployment of <paramref name="replicas"/> hostile pods whose smoke test reads their bodies.</summary>
    public static BlueGreenDeployment Rollout(string name, int replicas, double pauseSeconds, int bytes, int timeoutSeconds) =>
        PythonPods.Rollout(
            name,
            replicas,
            PythonPods.Template(Script, [pauseSeconds.ToString(CultureInfo.InvariantCulture), bytes.ToString(CultureInfo.InvariantCulture)]),
            // The example model server's golden prediction, on the same port.
            [new CheckSpec { Name = "golden", TimeoutSeconds = timeoutSeconds, Inference = ModelRollout.Golden() }]);
}
