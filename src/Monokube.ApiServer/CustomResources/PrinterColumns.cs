using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Tables;

namespace Monokube.ApiServer.CustomResources;

/// <summary>
/// A CRD version's additionalPrinterColumns as Table columns: NAME first, then each column with its JSONPath
/// (field paths, [n] indexes and [?(@.field=="value")] filters), dates shown as ages, as kube-apiserver's table
/// convertor shows them. Without columns: NAME and AGE.
/// </summary>
public static class PrinterColumns
{
    public static IReadOnlyList<TableColumn>? From(JsonArray? columns)
    {
        if (columns is not { Count: > 0 })
        {
            return null;
        }

        var result = new List<TableColumn> { CommonColumns.Name };
        foreach (var column in columns.OfType<JsonObject>())
        {
            var name = column.GetString("name") ?? "";
            var type = column.GetString("type") ?? "string";
            var path = column.GetString("jsonPath") ?? "";
            var priority = (int)(column.GetLong("priority") ?? 0);
            result.Add(new TableColumn(name, type, column.GetString("format") ?? "", column.GetString("description") ?? "", priority, (obj, now) =>
            {
                var value = Evaluate(obj, path);
                if (value is null)
                {
                    return null;
                }

                if (type == "date" && value is JsonValue date && date.GetValueKind() == JsonValueKind.String)
                {
                    return JsonValue.Create(CommonColumns.AgeOf(date.GetValue<string>(), now));
                }

                return value is JsonValue ? value.DeepClone() : JsonValue.Create(value.ToJsonString());
            }));
        }

        return result;
    }

    /// <summary>The first value a simple JSONPath names in the object, or null.</summary>
    public static JsonNode? Evaluate(JsonObject obj, string path)
    {
        var text = path.Trim();
        if (text.StartsWith('{') && text.EndsWith('}'))
        {
            text = text[1..^1];
        }

        JsonNode? current = obj;
        var i = 0;
        while (i < text.Length && current is not null)
        {
            if (text[i] == '.')
            {
                var end = i + 1;
                while (end < text.Length && text[end] is not ('.' or '['))
                {
                    end++;
                }

                current = (current as JsonObject)?[text[(i + 1)..end]];
                i = end;
            }
            else if (text[i] == '[')
            {
                var close = text.IndexOf(']', i);
                if (close < 0)
                {
                    return null;
                }

                var inside = text[(i + 1)..close];
                current = inside.StartsWith("?(", StringComparison.Ordinal) ? Filter(current as JsonArray, inside)
                    : int.TryParse(inside, NumberStyles.Integer, CultureInfo.InvariantCulture, out var index) && current is JsonArray array && index >= 0 && index < array.Count ? array[index]
                    : null;
                i = close + 1;
            }
            else
            {
                return null;
            }
        }

        return current;
    }

    // ?(@.field.path=="value") or ?(@.field=='value'): the first element whose field equals the value.
    private static JsonNode? Filter(JsonArray? array, string filter)
    {
        var expression = filter[2..^1];
        var equals = expression.IndexOf("==", StringComparison.Ordinal);
        if (array is null || equals < 0 || !expression.StartsWith('@'))
        {
            return null;
        }

        var field = expression[1..equals].Trim();
        var wanted = expression[(equals + 2)..].Trim().Trim('"', '\'');
        return array.OfType<JsonObject>().FirstOrDefault(item => Evaluate(item, field) is JsonValue v && v.ToString() == wanted);
    }
}
