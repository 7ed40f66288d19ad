using System.Text;
using BlueGreenOperator.Api;

namespace BlueGreenOperator.Checks;

/// <summary>Reads Secrets for check headers: one Secret by name, in one namespace, at the moment it is needed.</summary>
public interface ICheckSecrets
{
    /// <returns>The Secret's data, or null when it does not exist.</returns>
    /// <exception cref="CheckSecretUnreadableException">The operator may not read it, or the read failed.</exception>
    Task<IDictionary<string, byte[]>?> ReadAsync(string ns, string name, CancellationToken ct);
}

/// <summary>A Secret could not be read, with why (never what it holds).</summary>
public sealed class CheckSecretUnreadableException(string message) : Exception(message);

/// <summary>
/// The secret header values of one run, read once at its start from the object's own namespace (a Secret reference
/// has no namespace) and dropped with the run. Every value is also a value to redact from whatever the run reports.
/// </summary>
internal sealed class RunCredentials
{
    public const int MaxValueBytes = 8 * 1024;

    public static readonly RunCredentials None = new(new Dictionary<(string, string), string>(), new Dictionary<string, string>());

    readonly IReadOnlyDictionary<(string Secret, string Key), string> _values;
    readonly IReadOnlyDictionary<string, string> _problems;

    RunCredentials(IReadOnlyDictionary<(string, string), string> values, IReadOnlyDictionary<string, string> problems)
    {
        _values = values;
        _problems = problems;
        Redactor = new Redactor(values.Values);
    }

    public Redactor Redactor { get; }

    /// <summary>Reads every Secret the checks refer to, each once; a Secret that cannot be used fails only the checks that use it.</summary>
    public static async Task<RunCredentials> ReadAsync(ICheckSecrets? secrets, string ns, IEnumerable<CheckSpec> checks, CancellationToken ct)
    {
        var references = checks.SelectMany(References).ToList();
        if (references.Count == 0)
            return None;

        var values = new Dictionary<(string, string), string>();
        var problems = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var secret in references.Select(r => r.Name).Distinct(StringComparer.Ordinal))
        {
            IDictionary<string, byte[]>? data;
            try
            {
                data = secrets is null ? throw new CheckSecretUnreadableException("this operator reads no Secrets") : await secrets.ReadAsync(ns, secret, ct);
            }
            catch (CheckSecretUnreadableException e)
            {
                problems[secret] = $"Secret {secret} could not be read: {e.Message}";
                continue;
            }

            if (data is null)
            {
                problems[secret] = $"Secret {secret} not found in namespace {ns}";
                continue;
            }

            foreach (var key in references.Where(r => r.Name == secret).Select(r => r.Key).Distinct(StringComparer.Ordinal))
            {
                if (!data.TryGetValue(key, out var bytes) || bytes is null)
                    problems[Id(secret, key)] = $"Secret {secret} has no key {key}";
                else if (Decode(bytes) is { } value)
                    values[(secret, key)] = value;
                else
                    problems[Id(secret, key)] = $"Secret {secret} key {key} is not a header value: at most {MaxValueBytes} bytes of UTF-8 without control characters (a trailing line break is one)";
            }
        }

        return new RunCredentials(values, problems);
    }

    /// <summary>The header's value, or <see cref="ProbeFailedException"/> saying why it is not available (never what it holds).</summary>
    public string Value(SecretHeaderSpec header)
    {
        var reference = header.ValueFrom.SecretKeyRef;
        if (_values.TryGetValue((reference.Name, reference.Key), out var value))
            return (header.Prefix ?? "") + value;
        var problem = _problems.GetValueOrDefault(Id(reference.Name, reference.Key)) ?? _problems.GetValueOrDefault(reference.Name)
            ?? $"Secret {reference.Name} key {reference.Key} was not read";
        throw new ProbeFailedException($"header {header.Name}: {problem}");
    }

    static IEnumerable<SecretKeyReference> References(CheckSpec check) =>
        (check.Http?.SecretHeaders ?? []).Concat(check.Inference?.SecretHeaders ?? []).Select(h => h.ValueFrom.SecretKeyRef);

    static string Id(string secret, string key) => $"{secret}\n{key}";

    static string? Decode(byte[] bytes)
    {
        if (bytes.Length is 0 or > MaxValueBytes)
            return null;
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }

        return text.Any(char.IsControl) ? null : text;
    }
}
