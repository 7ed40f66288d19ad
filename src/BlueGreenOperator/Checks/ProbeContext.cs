namespace BlueGreenOperator.Checks;

/// <summary>
/// What every attempt of one run shares: the namespace of the object it judges, the client, the body limit, the run's
/// credentials and, from them, the values to keep out of every message.
/// </summary>
internal sealed record ProbeContext(string Namespace, HttpClient Http, int MaxBodyBytes, RunCredentials Credentials)
{
    public Redactor Redactor => Credentials.Redactor;

    /// <summary>Adds a check's secret headers to a request; refuses a header the request cannot carry without naming its value.</summary>
    public void AddSecretHeaders(HttpRequestMessage request, IList<Api.SecretHeaderSpec>? headers)
    {
        foreach (var header in headers ?? [])
        {
            var value = Credentials.Value(header);
            if (!request.Headers.TryAddWithoutValidation(header.Name, value))
                throw new ProbeFailedException($"header {header.Name} cannot be sent as a request header");
        }
    }
}
