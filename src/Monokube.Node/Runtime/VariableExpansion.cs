using System.Text;

namespace Monokube.Node.Runtime;

/// <summary>
/// Kubernetes' $(VAR) references in env values, command and args: replaced by the variable's value when it is
/// defined, left as written when not; $$ stands for a literal $ (so $$(VAR) is the text $(VAR)).
/// </summary>
internal static class VariableExpansion
{
    public static string Expand(string text, Func<string, string?> lookup)
    {
        if (!text.Contains('$', StringComparison.Ordinal))
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '$' || i + 1 >= text.Length)
            {
                result.Append(text[i]);
                continue;
            }

            var next = text[i + 1];
            if (next == '$')
            {
                result.Append('$');
                i++;
                continue;
            }

            var close = next == '(' ? text.IndexOf(')', i + 2) : -1;
            if (close < 0)
            {
                result.Append('$');
                continue;
            }

            var name = text[(i + 2)..close];
            result.Append(lookup(name) ?? text[i..(close + 1)]);
            i = close;
        }

        return result.ToString();
    }
}
