using System.Net;

namespace BlueGreenOperator.Hosting;

/// <summary>
/// Starts an <see cref="HttpListener"/> despite a race of the runtime's managed listener (Linux): a connection that
/// arrives between its socket's listen and its first accept makes <c>Start</c> throw an ArgumentNullException
/// (dotnet/corefx#35191), and the socket it bound stays open, the port taken, until it is finalized. A probe, a
/// launcher waiting for readiness or a browser tab reconnecting can be that connection. Shared by the operator's probe
/// server and the plugin's dashboard.
/// </summary>
internal static class ListenerStart
{
    /// <summary>Starts at most this many listeners before giving up on lost races.</summary>
    public const int Attempts = 5;

    /// <summary>
    /// A started listener on <paramref name="prefixes"/>. After a lost race, collects the orphan socket and starts a new
    /// listener (a failed one is closed for good), telling <paramref name="retrying"/> the next attempt's number and why.
    /// A refusal that is not a lost race (the port taken by another process) throws as <c>Start</c> does, a
    /// <see cref="HttpListenerException"/>; <see cref="Attempts"/> lost races throw <see cref="ListenerRaceException"/>.
    /// </summary>
    public static HttpListener Start(IReadOnlyList<string> prefixes, Action<int, Exception>? retrying = null, Action<HttpListener>? start = null)
    {
        start ??= listener => listener.Start();
        var raced = false;
        for (var attempt = 1; ; attempt++)
        {
            var listener = new HttpListener();
            foreach (var prefix in prefixes)
                listener.Prefixes.Add(prefix);
            try
            {
                start(listener);
                return listener;
            }
            // After a lost race the port stays taken ("address already in use") until the orphan socket is finalized.
            catch (Exception e) when ((e is ArgumentNullException || e is HttpListenerException && raced) && attempt < Attempts)
            {
                raced = true;
                retrying?.Invoke(attempt + 1, e);
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            catch (ArgumentNullException e)
            {
                throw new ListenerRaceException($"connections kept arriving while it opened ({Attempts} attempts): {e.Message}", e);
            }
        }
    }
}

/// <summary>Every attempt to start a listener lost the runtime's race (see <see cref="ListenerStart"/>).</summary>
internal sealed class ListenerRaceException(string message, Exception inner) : Exception(message, inner);
