namespace Monokube.ApiServer.Selectors;

/// <summary>A field selector ("metadata.name=x,spec.nodeName!=,status.phase==Running"): only =, == and !=.</summary>
public sealed class FieldSelector
{
    private FieldSelector(IReadOnlyList<FieldRequirement> requirements)
    {
        Requirements = requirements;
    }

    public static FieldSelector Everything { get; } = new([]);

    public IReadOnlyList<FieldRequirement> Requirements { get; }

    public bool IsEmpty => Requirements.Count == 0;

    public static FieldSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var requirements = new List<FieldRequirement>();
        foreach (var part in SplitTerms(text))
        {
            if (part.Length == 0)
            {
                continue;
            }

            var (op, index, length) = part.IndexOf("!=", StringComparison.Ordinal) is var ne and >= 0 ? (false, ne, 2)
                : part.IndexOf("==", StringComparison.Ordinal) is var eq2 and >= 0 ? (true, eq2, 2)
                : part.IndexOf('=', StringComparison.Ordinal) is var eq and >= 0 ? (true, eq, 1)
                : throw new FormatException($"invalid selector: '{text}'; can't understand '{part}'");
            requirements.Add(new FieldRequirement(part[..index].Trim(), Unescape(part[(index + length)..].Trim()), op));
        }

        return new FieldSelector(requirements);
    }

    /// <summary>Whether the object matches, given how to read each field; unknown fields have been refused already.</summary>
    public bool Matches(Func<string, string?> read)
    {
        foreach (var requirement in Requirements)
        {
            var actual = read(requirement.Field) ?? "";
            if ((actual == requirement.Value) != requirement.Equal)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The value the selector pins a field to with "=", if it does ("spec.nodeName=node-1").</summary>
    public string? ExactValue(string field) => Requirements.FirstOrDefault(r => r.Field == field && r.Equal)?.Value;

    public override string ToString() => string.Join(",", Requirements.Select(r => $"{r.Field}{(r.Equal ? "=" : "!=")}{r.Value}"));

    // Terms are separated by unescaped commas; "\," and "\=" are literal.
    private static List<string> SplitTerms(string text)
    {
        var terms = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
                continue;
            }

            if (text[i] == ',')
            {
                terms.Add(text[start..i]);
                start = i + 1;
            }
        }

        terms.Add(text[start..]);
        return terms;
    }

    private static string Unescape(string value) =>
        value.Replace("\\,", ",", StringComparison.Ordinal).Replace("\\=", "=", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
}

public sealed record FieldRequirement(string Field, string Value, bool Equal);
