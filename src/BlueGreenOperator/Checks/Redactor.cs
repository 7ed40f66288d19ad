namespace BlueGreenOperator.Checks;

/// <summary>
/// Keeps the values of a run's credentials out of every text the run produces (status, Events, logs, traces): a pod
/// may echo a header back, so whatever comes from a response passes through here before it is shortened or shown.
/// </summary>
internal sealed class Redactor
{
    public const string Mark = "[redacted]";

    public static readonly Redactor None = new([]);

    readonly string[] _values;

    public Redactor(IEnumerable<string> values)
    {
        // Longest first, so that a value containing another is hidden whole.
        _values = [.. values.Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).OrderByDescending(v => v.Length)];
        Longest = _values.Length == 0 ? 0 : _values[0].Length;
    }

    /// <summary>Length of the longest value: a text cut shorter than this around a value could show part of it.</summary>
    public int Longest { get; }

    public string Apply(string text)
    {
        foreach (var value in _values)
        {
            if (text.Contains(value, StringComparison.Ordinal))
                text = text.Replace(value, Mark, StringComparison.Ordinal);
        }

        return text;
    }

    /// <summary>Redacts first, then shortens: a cut never leaves the beginning of a value behind.</summary>
    public string Shorten(string text, int maxChars) => ProbeResponse.Shorten(Apply(text), maxChars);
}
