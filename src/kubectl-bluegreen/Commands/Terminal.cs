namespace BlueGreenOperator.Plugin.Commands;

/// <summary>Where a command writes, whether stdout is a terminal (for redraws), and the clock.</summary>
internal sealed record Terminal(TextWriter Out, TextWriter Error, bool IsInteractive, TimeProvider Clock);
