using System.Text.Json;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.Selectors;

/// <summary>
/// A label selector in its string form, as kubectl -l and client-go send it: "a=b,c!=d,e in (f,g),h notin (i),j,!k",
/// with "==" as a synonym of "=". Parsing errors carry apimachinery's wording.
/// </summary>
public sealed class LabelSelector
{
    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements)
    {
        _requirements = requirements;
    }

    public static LabelSelector Everything { get; } = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    public IReadOnlyList<Requirement> Requirements => _requirements;

    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var lexer = new SelectorLexer(text);
        var requirements = new List<Requirement>();
        while (true)
        {
            requirements.Add(ParseRequirement(lexer, text));
            var next = lexer.Next();
            if (next.Kind == TokenKind.End)
            {
                break;
            }

            if (next.Kind != TokenKind.Comma)
            {
                throw new FormatException($"found '{next.Text}', expected: ',' or 'end of string'");
            }
        }

        return new LabelSelector(requirements);
    }

    /// <summary>Builds a selector from a metav1.LabelSelector object (matchLabels and matchExpressions).</summary>
    public static LabelSelector FromObject(JsonObject? selector)
    {
        if (selector is null)
        {
            return Everything;
        }

        var requirements = new List<Requirement>();
        if (selector["matchLabels"] is JsonObject labels)
        {
            foreach (var (key, value) in labels)
            {
                requirements.Add(new Requirement(key, Operator.Equals, [value?.ToString() ?? ""]));
            }
        }

        if (selector["matchExpressions"] is JsonArray expressions)
        {
            foreach (var expression in expressions.OfType<JsonObject>())
            {
                var key = expression["key"]?.ToString() ?? "";
                var values = (expression["values"] as JsonArray)?.Select(v => v?.ToString() ?? "").ToList() ?? [];
                var op = expression["operator"]?.ToString() switch
                {
                    "In" => Operator.In,
                    "NotIn" => Operator.NotIn,
                    "Exists" => Operator.Exists,
                    "DoesNotExist" => Operator.DoesNotExist,
                    var other => throw new FormatException($"\"{other}\" is not a valid label selector operator"),
                };
                requirements.Add(new Requirement(key, op, values));
            }
        }

        return new LabelSelector(requirements);
    }

    public bool Matches(JsonObject? labels)
    {
        foreach (var requirement in _requirements)
        {
            if (!requirement.Matches(labels))
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString() => string.Join(",", _requirements);

    private static Requirement ParseRequirement(SelectorLexer lexer, string text)
    {
        var token = lexer.Next();
        if (token.Kind == TokenKind.Not)
        {
            var key = lexer.Next();
            if (key.Kind != TokenKind.Identifier)
            {
                throw new FormatException($"found '{key.Text}', expected: identifier after '!'");
            }

            return new Requirement(ValidateKey(key.Text), Operator.DoesNotExist, []);
        }

        if (token.Kind != TokenKind.Identifier)
        {
            throw new FormatException($"found '{token.Text}', expected: !, identifier, or 'end of string'");
        }

        var name = ValidateKey(token.Text);
        var op = lexer.Peek();
        switch (op.Kind)
        {
            case TokenKind.End or TokenKind.Comma:
                return new Requirement(name, Operator.Exists, []);
            case TokenKind.Equals or TokenKind.DoubleEquals or TokenKind.NotEquals:
                lexer.Next();
                var value = lexer.Peek();
                string text2 = "";
                if (value.Kind == TokenKind.Identifier)
                {
                    lexer.Next();
                    text2 = value.Text;
                }
                else if (value.Kind is not (TokenKind.End or TokenKind.Comma))
                {
                    throw new FormatException($"found '{value.Text}', expected: identifier");
                }

                ValidateValue(text2);
                return new Requirement(name, op.Kind == TokenKind.NotEquals ? Operator.NotEquals : Operator.Equals, [text2]);
            case TokenKind.In or TokenKind.NotIn:
                lexer.Next();
                var open = lexer.Next();
                if (open.Kind != TokenKind.OpenParen)
                {
                    throw new FormatException($"found '{open.Text}', expected: '('");
                }

                var values = new List<string>();
                while (true)
                {
                    var item = lexer.Next();
                    if (item.Kind == TokenKind.CloseParen && values.Count == 0)
                    {
                        break;
                    }

                    if (item.Kind == TokenKind.Identifier)
                    {
                        ValidateValue(item.Text);
                        values.Add(item.Text);
                        item = lexer.Next();
                    }
                    else if (item.Kind == TokenKind.Comma || item.Kind == TokenKind.CloseParen)
                    {
                        values.Add("");
                    }

                    if (item.Kind == TokenKind.CloseParen)
                    {
                        break;
                    }

                    if (item.Kind != TokenKind.Comma)
                    {
                        throw new FormatException($"found '{item.Text}', expected: ',', or ')'");
                    }
                }

                return new Requirement(name, op.Kind == TokenKind.In ? Operator.In : Operator.NotIn, values);
            default:
                throw new FormatException($"found '{op.Text}', expected: in, notin, =, ==, !=, gt, lt");
        }
    }

    private static string ValidateKey(string key)
    {
        var problems = NameValidation.CheckQualifiedName(key);
        if (problems.Count > 0)
        {
            throw new FormatException($"key: Invalid value: \"{key}\": {problems[0]}");
        }

        return key;
    }

    private static void ValidateValue(string value)
    {
        var problems = NameValidation.CheckLabelValue(value);
        if (problems.Count > 0)
        {
            throw new FormatException($"values[0]: Invalid value: \"{value}\": {problems[0]}");
        }
    }

    public enum Operator
    {
        Equals,
        NotEquals,
        In,
        NotIn,
        Exists,
        DoesNotExist,
    }

    public sealed record Requirement(string Key, Operator Op, IReadOnlyList<string> Values)
    {
        public bool Matches(JsonObject? labels)
        {
            var has = labels is not null && labels.TryGetPropertyValue(Key, out var node) && node is JsonValue;
            var value = has && labels![Key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
            return Op switch
            {
                Operator.Exists => has,
                Operator.DoesNotExist => !has,
                Operator.Equals or Operator.In => has && Values.Contains(value ?? ""),
                Operator.NotEquals or Operator.NotIn => !has || !Values.Contains(value ?? ""),
                _ => false,
            };
        }

        public override string ToString() => Op switch
        {
            Operator.Exists => Key,
            Operator.DoesNotExist => "!" + Key,
            Operator.Equals => $"{Key}={Values[0]}",
            Operator.NotEquals => $"{Key}!={Values[0]}",
            Operator.In => $"{Key} in ({string.Join(",", Values)})",
            _ => $"{Key} notin ({string.Join(",", Values)})",
        };
    }
}
