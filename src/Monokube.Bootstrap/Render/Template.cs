using System.Text;
using System.Text.RegularExpressions;

namespace Monokube.Bootstrap.Render;

/// <summary>
/// The asset templates: <c>{{name}}</c> is a value, <c>{{b64:path}}</c> the base64 of a rendered file, and a
/// placeholder alone on its line expands to each of its value's lines at that indentation (no line when empty).
/// A placeholder without a value is an error, never left in the output.
/// </summary>
public static partial class Template
{
    public static IEnumerable<string> Names(string prefix) =>
        typeof(Template).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    public static string Read(string name)
    {
        using var stream = typeof(Template).Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"no asset template {name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public static string Fill(string template, string name, Func<string, string?> value)
    {
        var output = new StringBuilder();
        foreach (var line in template.Split('\n'))
        {
            var alone = AlonePattern().Match(line);
            if (alone.Success)
            {
                var text = Resolve(alone.Groups[2].Value, name, value);
                var indent = alone.Groups[1].Value;
                foreach (var part in text.Split('\n').Where(p => p.Length > 0))
                {
                    output.Append(indent).Append(part).Append('\n');
                }

                continue;
            }

            output.Append(PlaceholderPattern().Replace(line, m => Resolve(m.Groups[1].Value, name, value))).Append('\n');
        }

        return output.ToString().TrimEnd('\n') + "\n";
    }

    private static string Resolve(string key, string template, Func<string, string?> value) =>
        value(key.Trim()) ?? throw new InvalidOperationException($"{template}: no value for {{{{{key}}}}}");

    [GeneratedRegex(@"^(\s*)\{\{([^{}]+)\}\}\s*$")]
    private static partial Regex AlonePattern();

    [GeneratedRegex(@"\{\{([^{}]+)\}\}")]
    private static partial Regex PlaceholderPattern();
}
