using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace BlueGreenOperator.Packaging.Tests.Lua;

/// <summary>Writes a JSON document as a Lua table constructor, the shape Argo CD hands to its scripts.</summary>
internal static class LuaLiteral
{
    public static string From(JsonNode? node)
    {
        var text = new StringBuilder();
        Write(node, text);
        return text.ToString();
    }

    private static void Write(JsonNode? node, StringBuilder text)
    {
        switch (node)
        {
            case null:
                text.Append("nil");
                break;
            case JsonObject jsonObject:
                text.Append('{');
                foreach (var (key, value) in jsonObject)
                {
                    text.Append('[');
                    WriteString(key, text);
                    text.Append("] = ");
                    Write(value, text);
                    text.Append(", ");
                }

                text.Append('}');
                break;
            case JsonArray array:
                text.Append('{');
                foreach (var item in array)
                {
                    Write(item, text);
                    text.Append(", ");
                }

                text.Append('}');
                break;
            case JsonValue value:
                WriteValue(value, text);
                break;
            default:
                throw new NotSupportedException(node.GetType().Name);
        }
    }

    private static void WriteValue(JsonValue value, StringBuilder text)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.String:
                WriteString(value.GetValue<string>(), text);
                break;
            case JsonValueKind.Number:
                // JSON number syntax (digits, fraction, exponent) is valid Lua number syntax.
                text.Append(value.ToJsonString());
                break;
            case JsonValueKind.True:
                text.Append("true");
                break;
            case JsonValueKind.False:
                text.Append("false");
                break;
            default:
                throw new NotSupportedException(value.GetValueKind().ToString());
        }
    }

    private static void WriteString(string value, StringBuilder text)
    {
        text.Append('"');
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            // Decimal escapes for quotes, backslashes, controls and non-ASCII bytes keep the literal plain ASCII.
            if (b is (byte)'"' or (byte)'\\' || b < 0x20 || b > 0x7e)
            {
                text.Append('\\').Append(b.ToString("D3", CultureInfo.InvariantCulture));
            }
            else
            {
                text.Append((char)b);
            }
        }

        text.Append('"');
    }
}
