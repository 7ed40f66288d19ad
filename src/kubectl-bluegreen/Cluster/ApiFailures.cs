using System.Net;
using System.Security.Authentication;
using System.Text.Json;
using k8s.Autorest;
using k8s.Exceptions;

namespace BlueGreenOperator.Plugin.Cluster;

/// <summary>Turns what the client library throws into one line for the user and an exit code.</summary>
internal static class ApiFailures
{
    private const string Resource = WellKnown.Plural + "." + WellKnown.Group;

    public static string NotFoundMessage(string name, string ns) => $"bluegreendeployment \"{name}\" not found in namespace \"{ns}\"";

    /// <summary>
    /// A 404 for the object names it in the Status details; a 404 without them means the API server does not serve
    /// the resource at all, i.e. the CRD is missing.
    /// </summary>
    public static CommandFailure FromNotFound(string? responseBody, string? name, string ns)
    {
        var details = ReadStatus(responseBody)?.Details;
        return name is not null && details?.Name == name
            ? new CommandFailure(ExitCode.NotFound, NotFoundMessage(name, ns))
            : new CommandFailure(ExitCode.ClusterError, $"the API server does not serve {Resource}/{WellKnown.Version}; is the BlueGreenDeployment CRD installed?");
    }

    public static CommandFailure Describe(Exception exception, string server) => exception switch
    {
        CommandFailure failure => failure,
        KubeConfigException config => new CommandFailure(ExitCode.ClusterError, $"cannot use the kubeconfig for {server}: {config.Message}"),
        HttpOperationException http => new CommandFailure(ExitCode.ClusterError,
            $"the API server at {server} answered {(int)http.Response.StatusCode} {http.Response.StatusCode}: {ReadStatus(http.Response.Content)?.Message ?? http.Message}"),
        HttpRequestException { InnerException: AuthenticationException tls } => new CommandFailure(ExitCode.ClusterError,
            $"TLS handshake with the API server at {server} failed: {tls.Message}"),
        HttpRequestException request => new CommandFailure(ExitCode.ClusterError,
            $"cannot reach the API server at {server}: {request.Message}"),
        OperationCanceledException or TimeoutException => new CommandFailure(ExitCode.ClusterError,
            $"the API server at {server} did not answer in time (--request-timeout)"),
        _ => new CommandFailure(ExitCode.ClusterError, $"unexpected {exception.GetType().Name} talking to {server}: {exception.Message}"),
    };

    public static bool IsStatus(Exception exception, HttpStatusCode code) =>
        exception is HttpOperationException http && http.Response.StatusCode == code;

    private static StatusBody? ReadStatus(string? body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<StatusBody>(body, JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record StatusBody(string? Message, string? Reason, StatusDetails? Details);

    private sealed record StatusDetails(string? Name, string? Group, string? Kind);
}
