using System.Globalization;
using System.Text;

namespace BlueGreenOperator.Checks.Queries;

internal enum TokenKind
{
    Identifier,
    Keyword,
    Number,
    Duration,
    String,
    Operator,
    LeftParen,
    RightParen,
    LeftBrace,
    RightBrace,
    LeftBracket,
    RightBracket,
    Comma,
    Colon,
    At,
    End,
}

/// <summary>One token: where it is in the query (to splice at), and what it means (a decoded string, a duration).</summary>
internal readonly record struct Token(TokenKind Kind, int Start, int End, string Text, string? Value = null, TimeSpan Duration = default)
{
    public bool Is(TokenKind kind, string text) => Kind == kind && Text == text;
}

/// <summary>
/// Splits a PromQL query into tokens the way Prometheus' lexer does (2.x), in its three contexts: statements, label
/// matchers inside <c>{}</c> and durations inside <c>[]</c>. Keywords are recognized case-insensitively, as Prometheus
/// does; metric names may hold colons, label names may not. Comments are refused rather than skipped.
/// </summary>
internal sealed class PromQLLexer(string query)
{
    static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "and", "or", "unless", "atan2", "sum", "avg", "count", "min", "max", "group", "stddev", "stdvar", "topk", "bottomk",
        "count_values", "quantile", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
        "start", "end",
    };

    int _position;
    bool _inBraces;
    bool _inBrackets;

    public List<Token> Tokens()
    {
        var tokens = new List<Token>();
        while (true)
        {
            var token = Next();
            tokens.Add(token);
            if (token.Kind == TokenKind.End)
                return tokens;
        }
    }

    Token Next()
    {
        while (_position < query.Length && query[_position] is ' ' or '\t' or '\n' or '\r')
            _position++;
        if (_position >= query.Length)
            return (_inBraces || _inBrackets) ? throw Refuse("unclosed { or [") : new Token(TokenKind.End, _position, _position, "");

        var start = _position;
        var c = query[_position];
        if (c == '#')
            throw Refuse("comments are not accepted");
        if (_inBrackets)
            return InBrackets(start, c);
        if (_inBraces)
            return InBraces(start, c);

        switch (c)
        {
            case '(':
                return Single(TokenKind.LeftParen);
            case ')':
                return Single(TokenKind.RightParen);
            case ',':
                return Single(TokenKind.Comma);
            case '@':
                return Single(TokenKind.At);
            case '{':
                _inBraces = true;
                return Single(TokenKind.LeftBrace);
            case '[':
                _inBrackets = true;
                return Single(TokenKind.LeftBracket);
            case '"' or '\'' or '`':
                return String(start);
        }

        if (OperatorAt(["==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%", "^"]) is { } op)
            return op;
        if (char.IsAsciiDigit(c) || (c == '.' && _position + 1 < query.Length && char.IsAsciiDigit(query[_position + 1])))
            return NumberOrDuration(start);
        if (char.IsAsciiLetter(c) || c is '_' or ':')
        {
            while (_position < query.Length && (char.IsAsciiLetterOrDigit(query[_position]) || query[_position] is '_' or ':'))
                _position++;
            var word = query[start.._position];
            var lower = word.ToLowerInvariant();
            if (lower is "inf" or "nan")
                return new Token(TokenKind.Number, start, _position, word);
            return Keywords.Contains(lower)
                ? new Token(TokenKind.Keyword, start, _position, lower)
                : new Token(TokenKind.Identifier, start, _position, word);
        }

        throw Refuse($"unexpected character '{c}' at {start}");
    }

    Token InBraces(int start, char c)
    {
        switch (c)
        {
            case '}':
                _inBraces = false;
                return Single(TokenKind.RightBrace);
            case ',':
                return Single(TokenKind.Comma);
            case '"' or '\'' or '`':
                return String(start);
        }

        if (OperatorAt(["=~", "!~", "!=", "="]) is { } op)
            return op;
        if (char.IsAsciiLetter(c) || c == '_')
        {
            while (_position < query.Length && (char.IsAsciiLetterOrDigit(query[_position]) || query[_position] == '_'))
                _position++;
            return new Token(TokenKind.Identifier, start, _position, query[start.._position]);
        }

        throw Refuse($"unexpected character '{c}' in label matchers at {start}");
    }

    Token InBrackets(int start, char c)
    {
        switch (c)
        {
            case ']':
                _inBrackets = false;
                return Single(TokenKind.RightBracket);
            case ':':
                return Single(TokenKind.Colon);
        }

        if (char.IsAsciiDigit(c))
        {
            var token = NumberOrDuration(start);
            return token.Kind == TokenKind.Duration ? token : throw Refuse($"a range needs a unit (ms, s, m, h, d, w, y) at {start}");
        }

        throw Refuse($"unexpected character '{c}' in a range at {start}");
    }

    Token Single(TokenKind kind)
    {
        _position++;
        return new Token(kind, _position - 1, _position, query[(_position - 1).._position]);
    }

    Token? OperatorAt(string[] operators)
    {
        foreach (var op in operators)
        {
            if (string.CompareOrdinal(query, _position, op, 0, op.Length) == 0)
            {
                _position += op.Length;
                return new Token(TokenKind.Operator, _position - op.Length, _position, op);
            }
        }

        return null;
    }

    Token NumberOrDuration(int start)
    {
        if (query[_position] == '0' && _position + 1 < query.Length && query[_position + 1] is 'x' or 'X')
        {
            _position += 2;
            while (_position < query.Length && char.IsAsciiHexDigit(query[_position]))
                _position++;
            return new Token(TokenKind.Number, start, _position, query[start.._position]);
        }

        var duration = TimeSpan.Zero;
        var units = 0;
        while (true)
        {
            var digits = _position;
            while (_position < query.Length && char.IsAsciiDigit(query[_position]))
                _position++;
            var unit = Unit();
            if (unit is null || _position == digits)
                break;
            var amount = long.Parse(query.AsSpan(digits, _position - digits), NumberStyles.None, CultureInfo.InvariantCulture);
            _position += unit.Value.Name.Length;
            duration += TimeSpan.FromMilliseconds(Math.Min(amount, 1_000_000_000_000L) * unit.Value.Milliseconds);
            units++;
        }

        if (units > 0)
        {
            if (_position < query.Length && (char.IsAsciiLetterOrDigit(query[_position]) || query[_position] == '.'))
                throw Refuse($"malformed duration at {start}");
            return new Token(TokenKind.Duration, start, _position, query[start.._position], Duration: duration);
        }

        _position = start;
        while (_position < query.Length && (char.IsAsciiDigit(query[_position]) || query[_position] == '.'))
            _position++;
        if (_position < query.Length && query[_position] is 'e' or 'E')
        {
            _position++;
            if (_position < query.Length && query[_position] is '+' or '-')
                _position++;
            while (_position < query.Length && char.IsAsciiDigit(query[_position]))
                _position++;
        }

        var text = query[start.._position];
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            || (_position < query.Length && (char.IsAsciiLetter(query[_position]) || query[_position] == '_')))
            throw Refuse($"malformed number at {start}");
        return new Token(TokenKind.Number, start, _position, text);
    }

    (string Name, long Milliseconds)? Unit()
    {
        (string, long)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("d", 86_400_000), ("w", 604_800_000), ("y", 31_536_000_000)];
        foreach (var (name, milliseconds) in units)
        {
            // "ms" is tried before "m" and "s".
            if (string.CompareOrdinal(query, _position, name, 0, name.Length) == 0)
                return (name, milliseconds);
        }

        return null;
    }

    /// <summary>A Go string literal (PromQL's): double or single quotes with escapes, or back quotes taken raw.</summary>
    Token String(int start)
    {
        var quote = query[_position++];
        var value = new StringBuilder();
        while (true)
        {
            if (_position >= query.Length || (quote != '`' && query[_position] == '\n'))
                throw Refuse($"unterminated string at {start}");
            var c = query[_position++];
            if (c == quote)
                break;
            if (c != '\\' || quote == '`')
            {
                value.Append(c);
                continue;
            }

            if (_position >= query.Length)
                throw Refuse($"unterminated string at {start}");
            var escape = query[_position++];
            switch (escape)
            {
                case 'a': value.Append('\a'); break;
                case 'b': value.Append('\b'); break;
                case 'f': value.Append('\f'); break;
                case 'n': value.Append('\n'); break;
                case 'r': value.Append('\r'); break;
                case 't': value.Append('\t'); break;
                case 'v': value.Append('\v'); break;
                case '\\': value.Append('\\'); break;
                case '"' or '\'' when escape == quote: value.Append(escape); break;
                case 'x': value.Append((char)Hex(2, start)); break;
                case 'u': value.Append(char.ConvertFromUtf32(Hex(4, start))); break;
                case 'U': value.Append(char.ConvertFromUtf32(Hex(8, start))); break;
                case >= '0' and <= '7':
                    _position--;
                    value.Append((char)Octal(start));
                    break;
                default:
                    throw Refuse($"unknown escape \\{escape} in the string at {start}");
            }
        }

        return new Token(TokenKind.String, start, _position, query[start.._position], value.ToString());
    }

    int Hex(int digits, int start)
    {
        if (_position + digits > query.Length
            || !int.TryParse(query.AsSpan(_position, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
            || code > 0x10FFFF || code is >= 0xD800 and <= 0xDFFF)
            throw Refuse($"malformed escape in the string at {start}");
        _position += digits;
        return code;
    }

    int Octal(int start)
    {
        if (_position + 3 > query.Length || query.AsSpan(_position, 3).ContainsAnyExcept("01234567"))
            throw Refuse($"malformed escape in the string at {start}");
        var code = Convert.ToInt32(query.Substring(_position, 3), 8);
        _position += 3;
        return code <= 255 ? code : throw Refuse($"malformed escape in the string at {start}");
    }

    static QueryRefusedException Refuse(string reason) => new(reason);
}

/// <summary>A query that cannot be scoped, with why.</summary>
internal sealed class QueryRefusedException(string reason) : Exception(reason);
