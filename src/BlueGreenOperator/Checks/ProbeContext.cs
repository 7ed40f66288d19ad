namespace BlueGreenOperator.Checks;

/// <summary>What every attempt of one run shares: the client, the body limit, and the values to keep out of every message.</summary>
internal sealed record ProbeContext(HttpClient Http, int MaxBodyBytes, Redactor Redactor);
