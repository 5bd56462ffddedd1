using System.Text.Json;
using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Patching;

/// <summary>RFC 6902 JSON patch (add, remove, replace, move, copy, test) over JSON nodes.</summary>
public static class JsonPatch
{
    public const int MaxOperations = 10_000;

    public static JsonNode? Apply(JsonNode? document, JsonNode? patch)
    {
        if (patch is not JsonArray operations)
        {
            throw new PatchException("a JSON patch must be an array of operations", malformed: true);
        }

        if (operations.Count > MaxOperations)
        {
            throw new PatchException($"the JSON patch has {operations.Count} operations, more than the {MaxOperations} allowed", malformed: true);
        }

        var root = new JsonObject { ["doc"] = document?.DeepClone() };
        foreach (var item in operations)
        {
            if (item is not JsonObject op)
            {
                throw new PatchException("every JSON patch operation must be an object", malformed: true);
            }

            var name = Text(op, "op") ?? throw new PatchException("a JSON patch operation has no \"op\"", malformed: true);
            var path = Text(op, "path") ?? throw new PatchException($"the {name} operation has no \"path\"", malformed: true);
            switch (name)
            {
                case "add":
                    Add(root, path, Value(op, name));
                    break;
                case "remove":
                    Remove(root, path, name);
                    break;
                case "replace":
                    Replace(root, path, Value(op, name));
                    break;
                case "move":
                    var from = Text(op, "from") ?? throw new PatchException("the move operation has no \"from\"", malformed: true);
                    var moved = Remove(root, from, name);
                    Add(root, path, moved);
                    break;
                case "copy":
                    var source = Text(op, "from") ?? throw new PatchException("the copy operation has no \"from\"", malformed: true);
                    Add(root, path, Get(root, source, name)?.DeepClone());
                    break;
                case "test":
                    var actual = Get(root, path, name);
                    if (!JsonNode.DeepEquals(actual, op["value"]))
                    {
                        throw new PatchException($"testing value {path} failed");
                    }

                    break;
                default:
                    throw new PatchException($"unexpected JSON patch operation \"{name}\"", malformed: true);
            }
        }

        return root["doc"];
    }

    private static string? Text(JsonObject op, string field) =>
        op[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static JsonNode? Value(JsonObject op, string name) =>
        op.ContainsKey("value") ? op["value"]?.DeepClone() : throw new PatchException($"the {name} operation has no \"value\"", malformed: true);

    private static List<string> Tokens(string path, string operation)
    {
        if (path.Length == 0)
        {
            return [];
        }

        if (path[0] != '/')
        {
            throw new PatchException($"{operation} operation has an invalid path \"{path}\": a JSON pointer starts with '/'", malformed: true);
        }

        return [.. path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal))];
    }

    private static (JsonNode Parent, string Token) Parent(JsonObject root, string path, string operation)
    {
        var tokens = Tokens(path, operation);
        JsonNode current = root;
        var last = "doc";
        foreach (var token in tokens)
        {
            var next = Child(current, last) ?? throw new PatchException($"{operation} operation does not apply: doc is missing path: \"{path}\": missing value");
            current = next;
            last = token;
        }

        return (current, last);
    }

    private static JsonNode? Child(JsonNode node, string token) => node switch
    {
        JsonObject obj => obj[token],
        JsonArray array when int.TryParse(token, out var i) && i >= 0 && i < array.Count => array[i],
        _ => null,
    };

    private static JsonNode? Get(JsonObject root, string path, string operation)
    {
        var (parent, token) = Parent(root, path, operation);
        return parent switch
        {
            JsonObject obj when obj.ContainsKey(token) => obj[token],
            JsonArray array when int.TryParse(token, out var i) && i >= 0 && i < array.Count => array[i],
            _ => throw new PatchException($"{operation} operation does not apply: doc is missing path: \"{path}\": missing value"),
        };
    }

    private static void Add(JsonObject root, string path, JsonNode? value)
    {
        var (parent, token) = Parent(root, path, "add");
        switch (parent)
        {
            case JsonObject obj:
                obj.Remove(token);
                obj[token] = value;
                break;
            case JsonArray array:
                if (token == "-")
                {
                    array.Add(value);
                }
                else if (int.TryParse(token, out var index) && index >= 0 && index <= array.Count)
                {
                    array.Insert(index, value);
                }
                else
                {
                    throw new PatchException($"add operation does not apply: index {token} is out of bounds for \"{path}\"");
                }

                break;
            default:
                throw new PatchException($"add operation does not apply: \"{path}\" is not inside an object or array");
        }
    }

    private static void Replace(JsonObject root, string path, JsonNode? value)
    {
        var (parent, token) = Parent(root, path, "replace");
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(token):
                obj[token] = value;
                break;
            case JsonArray array when int.TryParse(token, out var index) && index >= 0 && index < array.Count:
                array[index] = value;
                break;
            default:
                throw new PatchException($"replace operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }

    private static JsonNode? Remove(JsonObject root, string path, string operation)
    {
        var (parent, token) = Parent(root, path, operation);
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(token):
                var value = obj[token];
                obj.Remove(token);
                return value;
            case JsonArray array when int.TryParse(token, out var index) && index >= 0 && index < array.Count:
                var item = array[index];
                array.RemoveAt(index);
                return item;
            default:
                throw new PatchException($"{operation} operation does not apply: doc is missing path: \"{path}\": missing value");
        }
    }
}
