namespace BlueGreenOperator.Plugin.Cli;

/// <summary>Parses the arguments kubectl hands to the plugin, kubectl-style: flags anywhere, <c>--flag=value</c> or <c>--flag value</c>.</summary>
internal static class CommandLine
{
    private enum Flag
    {
        Namespace,
        AllNamespaces,
        Kubeconfig,
        Context,
        RequestTimeout,
        Watch,
        Force,
        Port,
        Address,
        Help,
    }

    private static readonly Dictionary<string, Flag> FlagNames = new(StringComparer.Ordinal)
    {
        ["-n"] = Flag.Namespace,
        ["--namespace"] = Flag.Namespace,
        ["-A"] = Flag.AllNamespaces,
        ["--all-namespaces"] = Flag.AllNamespaces,
        ["--kubeconfig"] = Flag.Kubeconfig,
        ["--context"] = Flag.Context,
        ["--request-timeout"] = Flag.RequestTimeout,
        ["-w"] = Flag.Watch,
        ["--watch"] = Flag.Watch,
        ["--force"] = Flag.Force,
        ["--port"] = Flag.Port,
        ["--address"] = Flag.Address,
        ["-h"] = Flag.Help,
        ["--help"] = Flag.Help,
    };

    private static bool TakesValue(Flag flag) => flag is Flag.Namespace or Flag.Kubeconfig or Flag.Context or Flag.RequestTimeout or Flag.Port or Flag.Address;

    private static bool Allows(string verb, Flag flag) => flag switch
    {
        Flag.AllNamespaces => verb is Verb.List or Verb.Dashboard,
        Flag.Port or Flag.Address => verb == Verb.Dashboard,
        Flag.Watch => verb == Verb.Status,
        Flag.Force => Verb.IsAction(verb),
        _ => true,
    };

    public static ParsedCommandLine Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
        {
            return new UsageError("no command given", null);
        }

        var first = args[0];
        if (first is "-h" or "--help" or "help")
        {
            return args.Count > 1 && Verb.All.Contains(args[1]) ? new ShowHelp(args[1]) : new ShowHelp(null);
        }

        if (!Verb.All.Contains(first))
        {
            return new UsageError(first.StartsWith('-') ? $"a command must come first, got flag \"{first}\"" : $"unknown command \"{first}\"", null);
        }

        return ParseVerb(first, args.Skip(1).ToList());
    }

    private static ParsedCommandLine ParseVerb(string verb, List<string> rest)
    {
        var invocation = new Invocation(verb);
        var positionals = new List<string>();
        for (var i = 0; i < rest.Count; i++)
        {
            var argument = rest[i];
            if (argument == "--")
            {
                positionals.AddRange(rest.Skip(i + 1));
                break;
            }

            if (!argument.StartsWith('-') || argument == "-")
            {
                positionals.Add(argument);
                continue;
            }

            var (flagName, inlineValue) = SplitInlineValue(argument);
            if (!FlagNames.TryGetValue(flagName, out var flag) || !Allows(verb, flag))
            {
                return new UsageError($"unknown flag \"{flagName}\" for \"{verb}\"", verb);
            }

            string? value = null;
            if (TakesValue(flag))
            {
                value = inlineValue ?? (i + 1 < rest.Count ? rest[++i] : null);
                if (string.IsNullOrEmpty(value))
                {
                    return new UsageError($"flag \"{flagName}\" needs a value", verb);
                }
            }
            else if (inlineValue is not null)
            {
                return new UsageError($"flag \"{flagName}\" takes no value", verb);
            }

            if (flag == Flag.Help)
            {
                return new ShowHelp(verb);
            }

            TimeSpan? timeout = null;
            if (flag == Flag.RequestTimeout && (timeout = ParseDuration(value!)) is null)
            {
                return new UsageError($"invalid --request-timeout \"{value}\": use a number with a unit such as 10s, 2m or 500ms (0: no limit)", verb);
            }

            int port = 0;
            if (flag == Flag.Port && !(int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port) && port <= 65535))
            {
                return new UsageError($"invalid --port \"{value}\": use a port number from 0 to 65535 (0: any free port)", verb);
            }

            if (flag == Flag.Address && !System.Net.IPAddress.TryParse(value, out _))
            {
                return new UsageError($"invalid --address \"{value}\": use an IP address such as 127.0.0.1", verb);
            }

            invocation = flag switch
            {
                Flag.Namespace => invocation with { Namespace = value },
                Flag.AllNamespaces => invocation with { AllNamespaces = true },
                Flag.Kubeconfig => invocation with { Kubeconfig = value },
                Flag.Context => invocation with { Context = value },
                Flag.RequestTimeout => invocation with { RequestTimeout = timeout },
                Flag.Watch => invocation with { Watch = true },
                Flag.Force => invocation with { Force = true },
                Flag.Port => invocation with { Port = port },
                Flag.Address => invocation with { Address = value },
                _ => throw new InvalidOperationException($"flag {flag} is not handled"),
            };
        }

        return WithPositionals(invocation, positionals);
    }

    private static ParsedCommandLine WithPositionals(Invocation invocation, List<string> positionals)
    {
        var verb = invocation.Verb;
        if (verb is Verb.List or Verb.Dashboard)
        {
            if (positionals.Count > 0)
            {
                return new UsageError($"\"{verb}\" takes no arguments, got \"{positionals[0]}\"", verb);
            }

            return invocation.AllNamespaces && invocation.Namespace is not null
                ? new UsageError("use either -n or -A, not both", verb)
                : new RunCommand(invocation);
        }

        return positionals.Count switch
        {
            0 => new UsageError($"\"{verb}\" needs the name of a BlueGreenDeployment", verb),
            1 => new RunCommand(invocation with { Name = positionals[0] }),
            _ => new UsageError($"\"{verb}\" takes one name, got {positionals.Count}: {string.Join(' ', positionals)}", verb),
        };
    }

    /// <summary>kubectl's --request-timeout: 500ms, 10s, 2m, 1h, or plain seconds; 0 means no limit.</summary>
    public static TimeSpan? ParseDuration(string text)
    {
        var unit = text.EndsWith("ms", StringComparison.Ordinal) ? "ms" : text.Length > 0 && char.IsLetter(text[^1]) ? text[^1..] : "";
        if (!double.TryParse(text[..^unit.Length], System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var amount))
        {
            return null;
        }

        return unit switch
        {
            "ms" => TimeSpan.FromMilliseconds(amount),
            "s" or "" => TimeSpan.FromSeconds(amount),
            "m" => TimeSpan.FromMinutes(amount),
            "h" => TimeSpan.FromHours(amount),
            _ => null,
        };
    }

    private static (string Name, string? Value) SplitInlineValue(string argument)
    {
        var equals = argument.IndexOf('=', StringComparison.Ordinal);
        if (equals > 0)
        {
            return (argument[..equals], argument[(equals + 1)..]);
        }

        // kubectl accepts the short namespace flag glued to its value: -nml
        return argument.StartsWith("-n", StringComparison.Ordinal) && argument.Length > 2 && !argument.StartsWith("--", StringComparison.Ordinal)
            ? ("-n", argument[2..])
            : (argument, null);
    }
}
