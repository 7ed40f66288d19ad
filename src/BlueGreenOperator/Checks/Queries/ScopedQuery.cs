using System.Text;

namespace BlueGreenOperator.Checks.Queries;

/// <summary>
/// Makes a PromQL query read one namespace only, the way prom-label-proxy enforces a label: every vector selector
/// of the query gets the matcher <c>namespace="&lt;ns&gt;"</c>, so every series any part of it reads (ranges,
/// subqueries, functions, aggregations, both sides of an operator) is one of that namespace's. Series are only ever
/// read through selectors, so a query whose every selector is scoped reads nothing else.
/// <para>
/// The query is parsed with a small parser of the PromQL it accepts, and refused when it holds anything else: a
/// function outside the list below, the <c>@</c> modifier, comments, a matcher on <c>namespace</c> other than the
/// object's own, nested subqueries, ranges over an hour, offsets over a day, more than 20 selectors. The matcher is
/// spliced into the text the user wrote (nothing else is rewritten), so the parser only needs to find selectors,
/// not to reproduce Prometheus' precedence.
/// </para>
/// </summary>
public static class ScopedQuery
{
    /// <summary>The label Prometheus' Kubernetes service discovery (and kube-prometheus) gives every pod's series.</summary>
    public const string NamespaceLabel = "namespace";

    public const int MaxLength = 1024;
    public const int MaxSelectors = 20;
    public static readonly TimeSpan MaxRange = TimeSpan.FromHours(1);
    public static readonly TimeSpan MaxOffset = TimeSpan.FromDays(1);
    public static readonly TimeSpan MinSubqueryStep = TimeSpan.FromSeconds(1);

    /// <summary>Every function of PromQL 2.x that reads no series but those of its arguments.</summary>
    public static readonly IReadOnlySet<string> Functions = new HashSet<string>(StringComparer.Ordinal)
    {
        "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh", "avg_over_time", "ceil",
        "changes", "clamp", "clamp_max", "clamp_min", "cos", "cosh", "count_over_time", "day_of_month", "day_of_week",
        "day_of_year", "days_in_month", "deg", "delta", "deriv", "exp", "floor", "histogram_count", "histogram_fraction",
        "histogram_quantile", "histogram_sum", "holt_winters", "hour", "idelta", "increase", "irate", "label_join",
        "label_replace", "last_over_time", "ln", "log10", "log2", "max_over_time", "min_over_time", "minute", "month",
        "pi", "predict_linear", "present_over_time", "quantile_over_time", "rad", "rate", "resets", "round", "scalar",
        "sgn", "sin", "sinh", "sort", "sort_desc", "sqrt", "stddev_over_time", "stdvar_over_time", "sum_over_time", "tan",
        "tanh", "time", "timestamp", "vector", "year",
    };

    /// <summary>The query reading only <paramref name="ns"/>'s series, or null and why it cannot be scoped.</summary>
    public static string? Scope(string? query, string ns, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(query))
        {
            problem = "the query is empty";
            return null;
        }

        if (query.Length > MaxLength)
        {
            problem = $"the query is {query.Length} characters long; at most {MaxLength} are allowed";
            return null;
        }

        try
        {
            var selectors = new PromQLParser(new PromQLLexer(query).Tokens(), ns).Selectors();
            var scoped = new StringBuilder(query);
            var matcher = $"{NamespaceLabel}=\"{Escape(ns)}\"";
            foreach (var selector in selectors.OrderByDescending(s => s.Position))
                scoped.Insert(selector.Position, selector.InBraces ? matcher + (selector.HasMatchers ? "," : "") : "{" + matcher + "}");
            return scoped.ToString();
        }
        catch (QueryRefusedException e)
        {
            problem = e.Message;
            return null;
        }
    }

    static string Escape(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);
}

/// <summary>Where one vector selector gets the namespace matcher: after its metric name, or inside its braces.</summary>
internal sealed record SelectorSite(int Position, bool InBraces, bool HasMatchers);

/// <summary>
/// A recursive-descent parser of the PromQL <see cref="ScopedQuery"/> accepts; it finds every vector selector and
/// refuses what it does not know.
/// </summary>
internal sealed class PromQLParser(List<Token> tokens, string ns)
{
    const int MaxDepth = 32;

    static readonly HashSet<string> Aggregators = ["sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk", "count_values", "quantile"];
    static readonly HashSet<string> Comparisons = ["==", "!=", "<=", ">=", "<", ">"];

    readonly List<SelectorSite> _selectors = [];
    int _next;
    int _depth;
    int _subqueries;

    Token Peek => tokens[_next];

    public List<SelectorSite> Selectors()
    {
        Expression(0);
        if (Peek.Kind != TokenKind.End)
            throw Refuse($"unexpected '{Peek.Text}' at {Peek.Start}");
        return _selectors;
    }

    /// <summary>Binary operators by precedence climbing (or, and/unless, comparisons, +-, */%/atan2, ^ to the right).</summary>
    void Expression(int minimum)
    {
        if (++_depth > MaxDepth)
            throw Refuse($"the query nests deeper than {MaxDepth} levels");
        Unary();
        while (Precedence(Peek) is { } precedence && precedence >= minimum)
        {
            var op = Take();
            if (Peek.Is(TokenKind.Keyword, "bool"))
            {
                if (!Comparisons.Contains(op.Text))
                    throw Refuse($"bool after '{op.Text}' at {Peek.Start}");
                Take();
            }

            if (Peek.Is(TokenKind.Keyword, "on") || Peek.Is(TokenKind.Keyword, "ignoring"))
            {
                Take();
                Labels();
                if (Peek.Is(TokenKind.Keyword, "group_left") || Peek.Is(TokenKind.Keyword, "group_right"))
                {
                    Take();
                    if (Peek.Kind == TokenKind.LeftParen)
                        Labels();
                }
            }

            Expression(op.Text == "^" ? precedence : precedence + 1);
        }

        _depth--;
    }

    static int? Precedence(Token token) => token switch
    {
        { Kind: TokenKind.Keyword, Text: "or" } => 1,
        { Kind: TokenKind.Keyword, Text: "and" or "unless" } => 2,
        { Kind: TokenKind.Operator, Text: "==" or "!=" or "<=" or ">=" or "<" or ">" } => 3,
        { Kind: TokenKind.Operator, Text: "+" or "-" } => 4,
        { Kind: TokenKind.Operator, Text: "*" or "/" or "%" } or { Kind: TokenKind.Keyword, Text: "atan2" } => 5,
        { Kind: TokenKind.Operator, Text: "^" } => 6,
        _ => null,
    };

    void Unary()
    {
        if (Peek.Kind == TokenKind.Operator && Peek.Text is "+" or "-")
        {
            Take();
            Unary();
            return;
        }

        var subqueriesBefore = _subqueries;
        var bareSelector = Primary();
        while (true)
        {
            if (Peek.Kind == TokenKind.LeftBracket)
            {
                Take();
                var range = Expect(TokenKind.Duration, "a range such as 5m");
                Bounded(range, ScopedQuery.MaxRange, "range");
                if (Peek.Kind != TokenKind.Colon && !bareSelector)
                    throw Refuse($"a range [{range.Text}] at {range.Start} follows no selector; a subquery needs a colon, as in [{range.Text}:]");
                bareSelector = false;
                if (Peek.Kind == TokenKind.Colon)
                {
                    Take();
                    if (_subqueries > subqueriesBefore)
                        throw Refuse($"a subquery of a subquery at {range.Start}");
                    if (Peek.Kind == TokenKind.Duration)
                    {
                        var step = Take();
                        if (step.Duration < ScopedQuery.MinSubqueryStep)
                            throw Refuse($"the subquery step {step.Text} is under {ScopedQuery.MinSubqueryStep.TotalSeconds:0}s");
                    }

                    _subqueries++;
                }

                Expect(TokenKind.RightBracket, "]");
            }
            else if (Peek.Is(TokenKind.Keyword, "offset"))
            {
                Take();
                bareSelector = false;
                if (Peek.Kind == TokenKind.Operator && Peek.Text == "-")
                    Take();
                Bounded(Expect(TokenKind.Duration, "a duration after offset"), ScopedQuery.MaxOffset, "offset");
            }
            else if (Peek.Kind == TokenKind.At)
            {
                throw Refuse($"the @ modifier is not accepted (at {Peek.Start}): analysis judges the present");
            }
            else
            {
                return;
            }
        }
    }

    /// <returns>Whether it was a vector selector (a range may follow it).</returns>
    bool Primary()
    {
        var token = Peek;
        switch (token.Kind)
        {
            case TokenKind.Number or TokenKind.String:
                Take();
                return false;
            case TokenKind.LeftParen:
                Take();
                Expression(0);
                Expect(TokenKind.RightParen, ")");
                return false;
            case TokenKind.LeftBrace:
                Matchers(metricName: false);
                return true;
            case TokenKind.Keyword when Aggregators.Contains(token.Text):
                Aggregation();
                return false;
            case TokenKind.Identifier when tokens[_next + 1].Kind == TokenKind.LeftParen:
                Call();
                return false;
            case TokenKind.Identifier:
                Take();
                if (Peek.Kind == TokenKind.LeftBrace)
                    Matchers(metricName: true);
                else
                    Selector(new SelectorSite(token.End, InBraces: false, HasMatchers: false));
                return true;
            default:
                throw Refuse(token.Kind == TokenKind.End ? "the query ends too early" : $"unexpected '{token.Text}' at {token.Start}");
        }
    }

    void Aggregation()
    {
        var name = Take();
        if (Peek.Is(TokenKind.Keyword, "by") || Peek.Is(TokenKind.Keyword, "without"))
        {
            Take();
            Labels();
        }

        Expect(TokenKind.LeftParen, $"( after {name.Text}");
        Expression(0);
        if (Peek.Kind == TokenKind.Comma)
        {
            // topk, bottomk, quantile and count_values take a parameter first.
            Take();
            Expression(0);
        }

        Expect(TokenKind.RightParen, ")");
        if (Peek.Is(TokenKind.Keyword, "by") || Peek.Is(TokenKind.Keyword, "without"))
        {
            Take();
            Labels();
        }
    }

    void Call()
    {
        var name = Take();
        if (!ScopedQuery.Functions.Contains(name.Text))
            throw Refuse($"function {name.Text} is not accepted (at {name.Start})");
        Take();
        if (Peek.Kind != TokenKind.RightParen)
        {
            Expression(0);
            while (Peek.Kind == TokenKind.Comma)
            {
                Take();
                Expression(0);
            }
        }

        Expect(TokenKind.RightParen, ")");
    }

    /// <summary>
    /// <c>{label op "value", …}</c>. A matcher on the namespace label is accepted only as <c>="&lt;own namespace&gt;"</c>:
    /// anything else would ask for other namespaces (or for none), which the injected matcher would silently override.
    /// </summary>
    void Matchers(bool metricName)
    {
        var open = Take();
        var count = 0;
        while (Peek.Kind != TokenKind.RightBrace)
        {
            var label = Expect(TokenKind.Identifier, "a label name");
            var op = Expect(TokenKind.Operator, "=, !=, =~ or !~");
            var value = Expect(TokenKind.String, "a quoted label value");
            if (label.Text == ScopedQuery.NamespaceLabel && (op.Text != "=" || value.Value != ns))
                throw Refuse($"the matcher {label.Text}{op.Text}{value.Text} (at {label.Start}) asks for another namespace; queries read only the object's namespace ({ns})");
            count++;
            if (Peek.Kind != TokenKind.Comma)
                break;
            Take();
        }

        Expect(TokenKind.RightBrace, "}");
        if (!metricName && count == 0)
            throw Refuse($"an empty selector {{}} at {open.Start}");
        Selector(new SelectorSite(open.End, InBraces: true, HasMatchers: count > 0));
    }

    void Selector(SelectorSite site)
    {
        _selectors.Add(site);
        if (_selectors.Count > ScopedQuery.MaxSelectors)
            throw Refuse($"the query has more than {ScopedQuery.MaxSelectors} selectors");
    }

    void Labels()
    {
        Expect(TokenKind.LeftParen, "( and a list of labels");
        while (Peek.Kind != TokenKind.RightParen)
        {
            if (Peek.Kind is not (TokenKind.Identifier or TokenKind.Keyword) || Peek.Text.Contains(':', StringComparison.Ordinal))
                throw Refuse($"a label name at {Peek.Start}");
            Take();
            if (Peek.Kind != TokenKind.Comma)
                break;
            Take();
        }

        Expect(TokenKind.RightParen, ")");
    }

    void Bounded(Token duration, TimeSpan max, string what)
    {
        if (duration.Duration > max)
            throw Refuse($"the {what} {duration.Text} is over {(max.TotalHours >= 24 ? $"{max.TotalDays:0}d" : $"{max.TotalHours:0}h")}");
    }

    Token Take() => tokens[_next++];

    Token Expect(TokenKind kind, string what) =>
        Peek.Kind == kind ? Take() : throw Refuse(Peek.Kind == TokenKind.End ? $"the query ends where {what} was expected" : $"expected {what} at {Peek.Start}, found '{Peek.Text}'");

    static QueryRefusedException Refuse(string reason) => new(reason);
}
