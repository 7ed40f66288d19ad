using System.Collections.Concurrent;

namespace BlueGreenOperator.Runtime;

/// <summary>
/// Remembers which errors were already logged with their stack trace, so that a failure repeated on every retry
/// logs its stack once and then one line per retry. An error is its type and message.
/// </summary>
internal sealed class DistinctErrors(int capacity = 1024)
{
    private readonly ConcurrentDictionary<string, byte> seen = new(StringComparer.Ordinal);

    /// <summary>True the first time this error is seen: log it with its stack trace.</summary>
    public bool IsNew(Exception error)
    {
        // Bounded: past the capacity the memory starts over, which at worst logs a stack trace once more.
        if (seen.Count >= capacity)
        {
            seen.Clear();
        }

        return seen.TryAdd(Signature(error), 0);
    }

    public static string Signature(Exception error) => $"{error.GetType().FullName}: {error.Message}";
}
