using System.Net;
using System.Net.Sockets;

namespace BlueGreenOperator.Checks;

/// <summary>A ready pod of the colour under test, addressed by its pod IP.</summary>
/// <param name="PodTemplateHash">The template the pod was made from (its pod-template-hash label).</param>
public sealed record CheckTarget(string Pod, string IP, string? PodTemplateHash = null)
{
    /// <summary>
    /// The only kind of address a check ever calls: <c>http://{podIP}:{port}{path}</c>.
    /// Returns null and a reason when the IP, port or path could point anywhere else.
    /// </summary>
    public Uri? Address(int port, string path, out string? problem)
    {
        if (!IPAddress.TryParse(IP, out var address))
            return Refuse($"pod IP \"{IP}\" is not an IP address", out problem);
        if (port is < 1 or > 65535)
            return Refuse($"port {port} is out of range", out problem);
        if (!IsPlainPath(path))
            return Refuse($"path \"{path}\" must be an absolute path starting with a single '/'", out problem);

        // IPv6 literals need brackets in a URL authority; the scope id is dropped since pod IPs never carry one.
        var host = address.AddressFamily == AddressFamily.InterNetworkV6
            ? $"[{new IPAddress(address.GetAddressBytes())}]"
            : address.ToString();
        if (!Uri.TryCreate($"http://{host}:{port}{path}", UriKind.Absolute, out var uri)
            || uri.Port != port
            || !IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsedHost)
            || !parsedHost.Equals(new IPAddress(address.GetAddressBytes())))
            return Refuse($"path \"{path}\" does not stay on the pod's address", out problem);

        problem = null;
        return uri;
    }

    static bool IsPlainPath(string path) =>
        path.Length > 0
        && path[0] == '/'
        && !path.StartsWith("//", StringComparison.Ordinal)
        && !path.Any(c => c <= ' ' || c == '\\' || c == '#' || c == '\u007f');

    static Uri? Refuse(string reason, out string? problem)
    {
        problem = reason;
        return null;
    }
}
