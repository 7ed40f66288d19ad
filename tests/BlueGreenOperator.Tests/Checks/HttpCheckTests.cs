using BlueGreenOperator.Api;
using FluentAssertions;
using NUnit.Framework;
using static BlueGreenOperator.Tests.Checks.Probing;

namespace BlueGreenOperator.Tests.Checks;

/// <summary>HTTP checks against a real local server: what is sent and how the answer is judged.</summary>
[TestFixture]
public sealed class HttpCheckTests : AgainstModelServer
{
    [Test]
    public async Task Should_pass_a_readiness_check_on_every_pod()
    {
        var report = await RunAsync(Pods(3), Http("ready", new HttpCheckSpec { Port = Model.Port, Path = "/v2/health/ready" }));

        report.Passed.Should().BeTrue(report.Summary);
        Model.Received.Should().HaveCount(3).And.OnlyContain(r => r.Method == "GET" && r.PathAndQuery == "/v2/health/ready");
    }

    [Test]
    public async Task Should_fail_on_an_unexpected_status()
    {
        var report = await RunAsync(Pods(1), Http("ready", new HttpCheckSpec { Port = Model.Port, Path = "/v2/health/live" }));

        report.Results.Single().Message.Should().Be("""status 404, expected 200; body: {"error":"not found"}""");
    }

    [Test]
    public async Task Should_accept_the_status_the_check_expects()
    {
        var report = await RunAsync(Pods(1), Http("gone", new HttpCheckSpec { Port = Model.Port, Path = "/v2/health/live", ExpectStatus = 404 }));

        report.Passed.Should().BeTrue(report.Summary);
    }

    [Test]
    public async Task Should_send_method_headers_and_a_json_body()
    {
        var check = Http("echo", new HttpCheckSpec
        {
            Port = Model.Port,
            Path = "/v2/models/iris/infer?trace=1",
            Method = "post",
            Headers = new Dictionary<string, string> { ["X-Probe"] = "smoke", ["Authorization"] = "Bearer t0ken" },
            Body = """{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""",
        });

        var report = await RunAsync(Pods(1), check);

        report.Passed.Should().BeTrue(report.Summary);
        var request = Model.Received.Single();
        request.Method.Should().Be("POST");
        request.PathAndQuery.Should().Be("/v2/models/iris/infer?trace=1");
        request.Headers["X-Probe"].Should().Be("smoke");
        request.Headers["Authorization"].Should().Be("Bearer t0ken");
        request.ContentType.Should().Be("application/json; charset=utf-8");
        request.Body.Should().Be(check.Http!.Body);
    }

    [Test]
    public async Task Should_send_a_body_that_is_not_json_as_plain_text_unless_a_content_type_header_says_otherwise()
    {
        var plain = Http("plain", new HttpCheckSpec { Port = Model.Port, Path = "/echo", Method = "PUT", Body = "hello", ExpectStatus = 404 });
        var typed = Http("typed", new HttpCheckSpec
        {
            Port = Model.Port, Path = "/echo", Method = "PUT", Body = "a,b", ExpectStatus = 404,
            Headers = new Dictionary<string, string> { ["Content-Type"] = "text/csv" },
        });

        var report = await RunAsync(Pods(1), plain, typed);

        report.Passed.Should().BeTrue(report.Summary);
        Model.Received.Select(r => (r.Method, r.ContentType, r.Body)).Should().Equal(
            ("PUT", "text/plain; charset=utf-8", "hello"),
            ("PUT", "text/csv", "a,b"));
    }

    [Test]
    public async Task Should_check_that_the_body_contains_a_text()
    {
        var found = Http("has-name", new HttpCheckSpec { Port = Model.Port, Path = "/v2/models/iris", ExpectBodyContains = "\"platform\":\"sklearn\"" });
        var missing = Http("has-onnx", new HttpCheckSpec { Port = Model.Port, Path = "/v2/models/iris", ExpectBodyContains = "onnx" });

        var report = await RunAsync(Pods(1), found, missing);

        report.Results.Select(r => (r.Name, r.Passed)).Should().Equal(("has-name", true), ("has-onnx", false));
        report.Results[1].Message.Should().StartWith("body does not contain \"onnx\"; body: {\"name\":\"iris\"");
    }

    [TestCase("name", "iris")]
    [TestCase("versions.0", "3")]
    [TestCase("outputs.0.name", "output-0")]
    [TestCase("inputs.0.shape.1", "4")]
    [TestCase("threshold", "0.5")]
    [TestCase("classes", "12")]
    [TestCase("ready", "true")]
    [TestCase("labels", "null")]
    public async Task Should_pass_when_a_json_field_has_the_expected_value(string path, string value)
    {
        var report = await RunAsync(Pods(1), MetadataField(path, value));

        report.Passed.Should().BeTrue(report.Summary);
    }

    [TestCase("name", "mnist", "expectJson name: expected \"mnist\", actual \"iris\"")]
    [TestCase("ready", "True", "expectJson ready: expected \"True\", actual \"true\"")]
    [TestCase("threshold", "0.50", "expectJson threshold: expected \"0.50\", actual \"0.5\"")]
    [TestCase("outputs.1.name", "x", "expectJson outputs.1.name: no such field")]
    [TestCase("versions.first", "3", "expectJson versions.first: no such field")]
    public async Task Should_fail_when_a_json_field_differs_or_is_missing(string path, string value, string message)
    {
        var report = await RunAsync(Pods(1), MetadataField(path, value));

        report.Results.Single().Message.Should().StartWith(message);
    }

    [Test]
    public async Task Should_fail_expect_json_on_a_body_that_is_not_json()
    {
        var check = Http("json", new HttpCheckSpec
        {
            Port = Model.Port, Path = "/v2/health/ready",
            ExpectJson = [new JsonFieldExpectation { Path = "ready", EqualTo = "true" }],
        });

        var report = await RunAsync(Pods(1), check);

        report.Results.Single().Message.Should().StartWith("response is not JSON");
    }

    [Test]
    public async Task Should_refuse_a_path_that_is_a_url_without_sending_anything()
    {
        var report = await RunAsync(Pods(1), Http("escape", new HttpCheckSpec { Port = Model.Port, Path = "http://example.com/steal" }));

        report.Passed.Should().BeFalse();
        report.Results.Single().Message.Should().StartWith("refused to send: path \"http://example.com/steal\"");
        Model.Received.Should().BeEmpty();
    }

    [Test]
    public async Task Should_report_an_invalid_method_as_a_failed_check()
    {
        var report = await RunAsync(Pods(1), Http("bad", new HttpCheckSpec { Port = Model.Port, Path = "/", Method = "GET /x" }));

        report.Results.Single().Message.Should().Be("method \"GET /x\" is not an HTTP method");
        Model.Received.Should().BeEmpty();
    }

    CheckSpec MetadataField(string path, string value) => Http("metadata", new HttpCheckSpec
    {
        Port = Model.Port,
        Path = "/v2/models/iris",
        ExpectJson = [new JsonFieldExpectation { Path = path, EqualTo = value }],
    });
}
