using System.Security.Cryptography;
using System.Text;
using BlueGreenOperator.Api;
using BlueGreenOperator.Rollout;
using FluentAssertions;
using k8s;
using k8s.Models;
using NUnit.Framework;

namespace BlueGreenOperator.EndToEnd.Tests.Tenancy;

/// <summary>
/// A check header from a real Secret: the operator reads it from the object's namespace, the pods see it, and it
/// appears nowhere else: not in the object (status included), not in any Event of the namespace, not in any line
/// the operator logged, even though one pod answer echoes it back.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class SecretHeaderEndToEndTests
{
    const string Script = """
        import http.server, os
        token = os.environ['TOKEN']
        class Echo(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'
            def log_message(self, *args):
                pass
            def answer(self, status, body):
                data = body.encode()
                self.send_response(status)
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            def do_GET(self):
                seen = self.headers.get('Authorization', '')
                if self.path == '/ready':
                    self.answer(200, 'ok')
                elif self.path == '/auth':
                    self.answer(200 if seen == 'Bearer ' + token else 401, 'checked')
                else:
                    self.answer(500, 'you sent Authorization: ' + seen)
        http.server.ThreadingHTTPServer(('0.0.0.0', 8080), Echo).serve_forever()
        """;

    static IKubernetes Admin => EndToEndCluster.Client;

    [Test]
    public async Task Should_send_a_header_from_a_secret_and_never_show_its_value()
    {
        await using var rollout = await ModelRollout.StartAsync();
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        await Admin.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = "model-token" }, Data = new Dictionary<string, byte[]> { ["token"] = Encoding.UTF8.GetBytes(token) } },
            rollout.Ns);
        var bearer = new SecretHeaderSpec
        {
            Name = "Authorization",
            Prefix = "Bearer ",
            ValueFrom = new HeaderValueSource { SecretKeyRef = new SecretKeyReference { Name = "model-token", Key = "token" } },
        };
        var template = PythonPods.Template(Script, [], [new V1EnvVar { Name = "TOKEN", ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = "model-token", Key = "token" } } }]);
        var echo = PythonPods.Rollout("echo", 2, template,
        [
            new CheckSpec { Name = "authorized", Http = new HttpCheckSpec { Port = PythonPods.Port, Path = "/auth", SecretHeaders = [bearer] } },
            new CheckSpec { Name = "echoed", Http = new HttpCheckSpec { Port = PythonPods.Port, Path = "/echo", SecretHeaders = [bearer] } },
            new CheckSpec { Name = "missing", Http = new HttpCheckSpec { Port = PythonPods.Port, Path = "/auth", SecretHeaders = [Missing()] } },
        ]);

        await TenantObjects.CreateAsync(rollout.Ns, echo);
        var failed = await TenantObjects.WaitForPhaseAsync(rollout.Ns, "echo", Phase.Degraded, rollout.Operator);
        await BlueGreenOperator.LocalCluster.Eventually.UntilAsync(
            async ct => (await Admin.CoreV1.ListNamespacedEventAsync(rollout.Ns, cancellationToken: ct)).Items.Any(e => e.Reason == DegradedReasons.SmokeTestsFailed),
            TimeSpan.FromSeconds(20), "the SmokeTestsFailed Event");

        var results = failed.Status!.SmokeTests!.ToDictionary(r => r.Name);
        results["authorized"].Passed.Should().BeTrue("the pods got the Secret's value with its prefix: {0}", results["authorized"].Message);
        results["echoed"].Message.Should().Contain("you sent Authorization: Bearer [redacted]");
        results["missing"].Message.Should().EndWith("header Authorization: Secret model-token has no key absent");
        var everything = new[]
        {
            KubernetesJson.Serialize(await TenantObjects.GetAsync(rollout.Ns, "echo")),
            string.Join('\n', (await Admin.CoreV1.ListNamespacedEventAsync(rollout.Ns)).Items.Select(e => $"{e.Reason}: {e.Message}")),
            rollout.Operator.Log,
        };
        everything.Should().OnlyContain(text => !text.Contains(token, StringComparison.Ordinal), "the Secret's value is in no status, Event or log line");
    }

    static SecretHeaderSpec Missing() => new()
    {
        Name = "Authorization",
        ValueFrom = new HeaderValueSource { SecretKeyRef = new SecretKeyReference { Name = "model-token", Key = "absent" } },
    };
}
