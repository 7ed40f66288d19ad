using System.Net;
using BlueGreenOperator.Plugin.Cluster;
using k8s.Autorest;

namespace BlueGreenOperator.Plugin.Tests;

public sealed class ApiFailuresTests
{
    // What kube-apiserver answers for a missing object and for a resource type it does not serve.
    private const string ObjectMissing = """
        {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
         "message":"bluegreendeployments.bluegreen.dev \"fraud-model\" not found","reason":"NotFound",
         "details":{"name":"fraud-model","group":"bluegreen.dev","kind":"bluegreendeployments"},"code":404}
        """;

    private const string ResourceMissing = """
        {"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
         "message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}
        """;

    [Test]
    public void Should_report_a_missing_object_with_exit_code_2()
    {
        var failure = ApiFailures.FromNotFound(ObjectMissing, "fraud-model", "ml");

        failure.ExitCode.Should().Be(ExitCode.NotFound);
        failure.Message.Should().Be("bluegreendeployment \"fraud-model\" not found in namespace \"ml\"");
    }

    [TestCase(ResourceMissing)]
    [TestCase("")]
    [TestCase("<html>not json</html>")]
    public void Should_report_a_missing_CRD_as_a_cluster_error(string body)
    {
        var failure = ApiFailures.FromNotFound(body, "fraud-model", "ml");

        failure.ExitCode.Should().Be(ExitCode.ClusterError);
        failure.Message.Should().Be("the API server does not serve bluegreendeployments.bluegreen.dev/v1alpha1; is the BlueGreenDeployment CRD installed?");
    }

    [Test]
    public void Should_quote_the_API_server_message_of_a_refused_request()
    {
        var forbidden = new HttpOperationException("Operation returned an invalid status code 'Forbidden'")
        {
            Response = new HttpResponseMessageWrapper(new HttpResponseMessage(HttpStatusCode.Forbidden),
                """{"kind":"Status","message":"bluegreendeployments.bluegreen.dev \"fraud-model\" is forbidden: User \"ci\" cannot patch resource","reason":"Forbidden","code":403}"""),
        };

        var failure = ApiFailures.Describe(forbidden, "https://127.0.0.1:6443");

        failure.ExitCode.Should().Be(ExitCode.ClusterError);
        failure.Message.Should().Be(
            "the API server at https://127.0.0.1:6443 answered 403 Forbidden: bluegreendeployments.bluegreen.dev \"fraud-model\" is forbidden: User \"ci\" cannot patch resource");
    }

    [Test]
    public void Should_report_an_unusable_kubeconfig_as_a_cluster_error()
    {
        var failure = ApiFailures.Describe(new k8s.Exceptions.KubeConfigException("A CA must be set when SkipTlsVerify === false"), "https://10.0.0.1:6443");

        failure.ExitCode.Should().Be(ExitCode.ClusterError);
        failure.Message.Should().Be("cannot use the kubeconfig for https://10.0.0.1:6443: A CA must be set when SkipTlsVerify === false");
    }

    [Test]
    public void Should_keep_a_command_failure_as_it_is()
    {
        var notFound = new CommandFailure(ExitCode.NotFound, "gone");

        ApiFailures.Describe(notFound, "https://127.0.0.1:6443").Should().BeSameAs(notFound);
    }
}
