namespace BlueGreenOperator.Plugin.Cli;

/// <summary>The verbs of <c>kubectl bluegreen</c>; the action verbs are the operator's annotation values.</summary>
internal static class Verb
{
    public const string List = "list";
    public const string Status = "status";
    public const string Dashboard = "dashboard";

    public static readonly IReadOnlyList<string> All = [List, Status, .. RolloutAction.All, Dashboard];

    public static bool IsAction(string verb) => RolloutAction.All.Contains(verb);
}

/// <summary>One parsed command line, ready to run.</summary>
internal sealed record Invocation(
    string Verb,
    string? Name = null,
    string? Namespace = null,
    bool AllNamespaces = false,
    string? Kubeconfig = null,
    string? Context = null,
    bool Watch = false,
    bool Force = false,
    TimeSpan? RequestTimeout = null,
    int? Port = null,
    string? Address = null);

/// <summary>What the command line asked for: a run, help, or a usage error.</summary>
internal abstract record ParsedCommandLine;

internal sealed record RunCommand(Invocation Invocation) : ParsedCommandLine;

/// <summary>Help for one verb, or the overview when <paramref name="Verb"/> is null.</summary>
internal sealed record ShowHelp(string? Verb) : ParsedCommandLine;

internal sealed record UsageError(string Message, string? Verb) : ParsedCommandLine;
