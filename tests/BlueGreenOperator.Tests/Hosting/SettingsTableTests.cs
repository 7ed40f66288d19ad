using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using BlueGreenOperator.Hosting;
using FluentAssertions;
using NUnit.Framework;

namespace BlueGreenOperator.Tests.Hosting;

/// <summary>
/// The README's table of settings ("Running the operator") against the operator's options: every row names a
/// setting that exists, every default the table states as a number, a word or a quoted value is the code's default,
/// and every setting of the options is in the table.
/// </summary>
[TestFixture]
public sealed partial class SettingsTableTests
{
    sealed record Row(string Path, string Default, string Text);

    static readonly Lazy<IReadOnlyList<Row>> Rows = new(ReadRows);

    static IReadOnlyList<Row> ReadRows()
    {
        var readme = File.ReadAllText(Path.Combine(TestContext.CurrentContext.TestDirectory, "README.md"));
        var section = readme[readme.IndexOf("## Running the operator", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", 1, StringComparison.Ordinal)];
        return [.. SettingRow().Matches(section).Select(m => new Row(m.Groups["path"].Value, m.Groups["default"].Value.Trim(), m.Value))];
    }

    [GeneratedRegex(@"^\| `Operator__(?<path>[A-Za-z_]+)` \|(?<default>[^|]*)\|.*$", RegexOptions.Multiline)]
    private static partial Regex SettingRow();

    /// <summary>The property a configuration path binds to (<c>Health__MaxReconcileSeconds</c>), and its owner's default instance.</summary>
    static (PropertyInfo Property, object Owner)? Resolve(string path)
    {
        object owner = new OperatorOptions();
        var parts = path.Split("__");
        for (var i = 0; i < parts.Length; i++)
        {
            var property = owner.GetType().GetProperty(parts[i], BindingFlags.Public | BindingFlags.Instance);
            if (property is null)
                return null;
            if (i == parts.Length - 1)
                return (property, owner);
            owner = property.GetValue(owner)!;
        }

        return null;
    }

    [Test]
    public void Should_find_the_table_with_its_rows() =>
        Rows.Value.Select(r => r.Path).Should().Contain(["Workers", "Listen", "MemoryTrimAfterMiB", "Health__MaxReconcileSeconds"]);

    [Test]
    public void Should_name_only_settings_that_exist() =>
        Rows.Value.Where(r => Resolve(r.Path) is null).Select(r => r.Path).Should().BeEmpty();

    [Test]
    public void Should_state_the_codes_defaults()
    {
        var wrong = new List<string>();
        foreach (var row in Rows.Value)
        {
            if (Resolve(row.Path) is not { } setting)
                continue;
            var actual = Convert.ToString(setting.Property.GetValue(setting.Owner), CultureInfo.InvariantCulture)!;
            // A number or true/false (maybe followed by words on what the chart sets), or one quoted value; prose is not compared.
            var stated = Regex.Match(row.Default, @"^(?:`(?<v>[^`]*)`$|(?<v>-?\d+|true|false)\b)");
            if (stated.Success && !string.Equals(stated.Groups["v"].Value, actual, StringComparison.OrdinalIgnoreCase))
                wrong.Add($"Operator__{row.Path}: the README says {stated.Groups["v"].Value}, the code {actual}");
        }

        wrong.Should().BeEmpty();
    }

    [Test]
    public void Should_document_every_scalar_setting()
    {
        var text = string.Join("\n", Rows.Value.Select(r => r.Text));
        var missing = Settings(typeof(OperatorOptions), "")
            .Where(path => !text.Contains($"`Operator__{path}`", StringComparison.Ordinal) && !text.Contains($"`{path.Split("__")[^1]}`", StringComparison.Ordinal))
            .ToList();

        missing.Should().BeEmpty("every setting is in the README's table (a row of its own, or named in its group's row)");
    }

    /// <summary>Configuration paths of the settable numbers, strings and switches; webhooks (a list) are documented with the chart.</summary>
    static IEnumerable<string> Settings(Type type, string prefix)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var path = prefix + property.Name;
            if (property.PropertyType == typeof(int) || property.PropertyType == typeof(string) || property.PropertyType == typeof(bool))
                yield return path;
            else if (property.PropertyType.IsClass && property.PropertyType.Namespace == typeof(OperatorOptions).Namespace)
                foreach (var nested in Settings(property.PropertyType, path + "__"))
                    yield return nested;
        }
    }
}
