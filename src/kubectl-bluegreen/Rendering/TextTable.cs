using System.Text;

namespace BlueGreenOperator.Plugin.Rendering;

/// <summary>Left-aligned columns separated by three spaces, like kubectl's tables.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> rows = [];

    public int RowCount => rows.Count;

    public TextTable Add(params string?[] cells)
    {
        if (cells.Length != headers.Length)
        {
            throw new ArgumentException($"expected {headers.Length} cells, got {cells.Length}", nameof(cells));
        }

        rows.Add(cells.Select(Cell).ToArray());
        return this;
    }

    public void WriteTo(StringBuilder output, string indent = "")
    {
        var all = rows.Prepend(headers).ToList();
        var widths = Enumerable.Range(0, headers.Length).Select(column => all.Max(row => row[column].Length)).ToArray();
        foreach (var row in all)
        {
            var line = string.Join("   ", row.Select((cell, column) => cell.PadRight(widths[column])));
            output.Append(indent).Append(line.TrimEnd()).Append('\n');
        }
    }

    public override string ToString()
    {
        var output = new StringBuilder();
        WriteTo(output);
        return output.ToString();
    }

    // A table cell is one line: messages from the cluster may carry newlines.
    private static string Cell(string? text) =>
        string.IsNullOrWhiteSpace(text) ? "-" : string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}
