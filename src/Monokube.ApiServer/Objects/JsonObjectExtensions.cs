using System.Text.Json;
using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Objects;

/// <summary>Small, allocation-light accessors for objects held as JSON.</summary>
public static class JsonObjectExtensions
{
    public static void SetOrRemove(this JsonObject obj, string name, JsonNode? value)
    {
        if (value is null)
        {
            obj.Remove(name);
        }
        else
        {
            obj[name] = value;
        }
    }

    /// <summary>The string at a dotted path ("spec.nodeName"), or null when absent or not a string.</summary>
    public static string? GetString(this JsonObject obj, string path)
    {
        var node = obj.Find(path);
        return node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;
    }

    /// <summary>A scalar at a dotted path as field selectors and tables print it ("true", "30", "x").</summary>
    public static string? GetScalarText(this JsonObject obj, string path)
    {
        var node = obj.Find(path);
        if (node is not JsonValue value)
        {
            return null;
        }

        return value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Number => value.ToJsonString(),
            _ => null,
        };
    }

    public static JsonNode? Find(this JsonObject obj, string path)
    {
        JsonNode? current = obj;
        foreach (var part in path.Split('.'))
        {
            if (current is not JsonObject o || !o.TryGetPropertyValue(part, out current))
            {
                return null;
            }
        }

        return current;
    }

    /// <summary>The child object <paramref name="name"/>, created when missing (or replaced when not an object).</summary>
    public static JsonObject GetOrAddObject(this JsonObject obj, string name)
    {
        if (obj[name] is JsonObject child)
        {
            return child;
        }

        child = [];
        obj[name] = child;
        return child;
    }

    public static JsonObject? GetObject(this JsonObject obj, string name) => obj[name] as JsonObject;

    public static JsonArray? GetArray(this JsonObject obj, string name) => obj[name] as JsonArray;

    public static bool GetBool(this JsonObject obj, string name) =>
        obj[name] is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    /// <summary>A number as a long, whether it was parsed or set in code as an int, a long or a double.</summary>
    public static long? GetLong(this JsonObject obj, string name)
    {
        if (obj[name] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        return v.ToLong();
    }

    /// <summary>
    /// A JSON number as a long, however the node holds it (parsed from text, or set from an int, long, double or
    /// decimal), where <c>GetValue&lt;long&gt;</c> accepts only what the node was made from. Throws as GetValue does
    /// when the node is not a number.
    /// </summary>
    public static long ToLong(this JsonNode node)
    {
        if (node is JsonValue v)
        {
            if (v.TryGetValue<long>(out var l))
            {
                return l;
            }

            if (v.TryGetValue<int>(out var i))
            {
                return i;
            }

            if (v.TryGetValue<double>(out var d))
            {
                return (long)d;
            }

            if (v.TryGetValue<decimal>(out var m))
            {
                return (long)m;
            }
        }

        throw new InvalidOperationException($"the value {node.ToJsonString()} is not a number");
    }

    /// <summary><see cref="ToLong"/> for counts that fit an int.</summary>
    public static int ToInt(this JsonNode node) => checked((int)node.ToLong());
}
