using System.Text.RegularExpressions;
using BlueGreenOperator.Api;

namespace BlueGreenOperator.Checks;

/// <summary>What a <c>secretHeaders</c> entry must be: a header a request can carry, from one key of a Secret named as Kubernetes names them.</summary>
public static partial class SecretHeaderRules
{
    public const int MaxHeaders = 8;
    public const int MaxPrefixLength = 64;

    // Headers the HTTP client sets itself or that describe the body: a value from a Secret has no place there.
    static readonly HashSet<string> Reserved = new(StringComparer.OrdinalIgnoreCase)
    {
        "Host", "Content-Length", "Content-Type", "Transfer-Encoding", "Connection", "Upgrade", "TE", "Trailer", "Keep-Alive", "Expect",
    };

    [GeneratedRegex("^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$")]
    private static partial Regex Token();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^[-._a-zA-Z0-9]{1,253}$")]
    private static partial Regex SecretKey();

    /// <param name="plainHeaders">The check's inline headers: a header is inline or from a Secret, not both.</param>
    public static void Validate(string at, IList<SecretHeaderSpec>? headers, IEnumerable<string>? plainHeaders, List<string> errors)
    {
        if (headers is null)
            return;
        if (headers.Count > MaxHeaders)
        {
            errors.Add($"{at} holds {headers.Count} headers; at most {MaxHeaders} are allowed");
            return;
        }

        var seen = new HashSet<string>(plainHeaders ?? [], StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < headers.Count; i++)
        {
            var header = headers[i];
            var here = $"{at}[{i}]";
            if (header is null)
            {
                errors.Add($"{here} is empty");
                continue;
            }

            if (header.Name is null || !Token().IsMatch(header.Name))
                errors.Add($"{here}.name must be an HTTP header name");
            else if (Reserved.Contains(header.Name))
                errors.Add($"{here}.name {header.Name} is set by the client, not by a check");
            else if (!seen.Add(header.Name))
                errors.Add($"{here}.name {header.Name} is set twice (here or in headers)");

            if (header.Prefix is { } prefix && (prefix.Length > MaxPrefixLength || prefix.Any(char.IsControl)))
                errors.Add($"{here}.prefix must be at most {MaxPrefixLength} characters without control characters");

            var reference = header.ValueFrom?.SecretKeyRef;
            if (reference is null)
            {
                errors.Add($"{here}.valueFrom.secretKeyRef is required");
                continue;
            }

            if (reference.Name is not { Length: > 0 and <= 253 } name || !Dns1123Subdomain().IsMatch(name))
                errors.Add($"{here}.valueFrom.secretKeyRef.name must name a Secret (a DNS-1123 subdomain)");
            if (reference.Key is null || !SecretKey().IsMatch(reference.Key))
                errors.Add($"{here}.valueFrom.secretKeyRef.key must be a Secret key ([-._a-zA-Z0-9], at most 253 characters)");
        }
    }
}
