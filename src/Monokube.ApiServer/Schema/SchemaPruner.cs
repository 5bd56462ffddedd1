using System.Text.Json;
using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Schema;

/// <summary>
/// Walks an object against its schema as kube-apiserver's typed decoding does: fields the type does not have are
/// removed (and reported, for fieldValidation), nulls are dropped, and values of the wrong JSON type are errors.
/// </summary>
public static class SchemaPruner
{
    public sealed record Result(List<string> UnknownFields, List<TypeError> TypeErrors);

    /// <summary>A value of the wrong JSON type at a field path, in the words of Go's JSON decoder.</summary>
    public sealed record TypeError(string Path, string Message);

    public static Result Prune(JsonObject obj, SchemaNode schema)
    {
        var result = new Result([], []);
        Walk(obj, schema, "", result);
        return result;
    }

    private static void Walk(JsonNode? node, SchemaNode schema, string path, Result result)
    {
        switch (schema.Type)
        {
            case SchemaType.Any:
                return;
            case SchemaType.Object:
                if (node is not JsonObject obj)
                {
                    result.TypeErrors.Add(Mismatch(node, path, "object"));
                    return;
                }

                foreach (var (name, value) in obj.ToList())
                {
                    var childPath = path.Length == 0 ? name : path + "." + name;
                    if (!schema.Properties.TryGetValue(name, out var child))
                    {
                        if (schema.PreservesUnknownFields)
                        {
                            continue;
                        }

                        obj.Remove(name);
                        result.UnknownFields.Add(childPath);
                        continue;
                    }

                    if (value is null)
                    {
                        if (!child.Nullable)
                        {
                            obj.Remove(name);
                        }

                        continue;
                    }

                    Walk(value, child, childPath, result);
                }

                return;
            case SchemaType.Map:
                if (node is not JsonObject map)
                {
                    result.TypeErrors.Add(Mismatch(node, path, "map"));
                    return;
                }

                foreach (var (key, value) in map.ToList())
                {
                    if (value is null && schema.Items!.Type is SchemaType.Object or SchemaType.Array or SchemaType.Map)
                    {
                        map.Remove(key);
                        continue;
                    }

                    if (value is not null)
                    {
                        Walk(value, schema.Items!, $"{path}[{key}]", result);
                    }
                }

                return;
            case SchemaType.Array:
                if (node is not JsonArray array)
                {
                    result.TypeErrors.Add(Mismatch(node, path, "array"));
                    return;
                }

                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is { } item)
                    {
                        Walk(item, schema.Items!, $"{path}[{i}]", result);
                    }
                }

                return;
            default:
                CheckScalar(node, schema.Type, path, result);
                return;
        }
    }

    private static void CheckScalar(JsonNode? node, SchemaType type, string path, Result result)
    {
        var kind = node?.GetValueKind() ?? JsonValueKind.Null;
        var ok = type switch
        {
            SchemaType.String or SchemaType.DateTime or SchemaType.Bytes => kind == JsonValueKind.String,
            SchemaType.Boolean => kind is JsonValueKind.True or JsonValueKind.False,
            SchemaType.Integer => kind == JsonValueKind.Number && node is JsonValue v && (v.TryGetValue<long>(out _) || IsWhole(v)),
            SchemaType.Number => kind == JsonValueKind.Number,
            SchemaType.IntOrString or SchemaType.Quantity => kind is JsonValueKind.String or JsonValueKind.Number,
            _ => true,
        };

        if (!ok)
        {
            result.TypeErrors.Add(Mismatch(node, path, type switch
            {
                SchemaType.Integer => "integer",
                SchemaType.Number => "number",
                SchemaType.Boolean => "boolean",
                _ => "string",
            }));
        }
    }

    private static bool IsWhole(JsonValue value) => value.TryGetValue<double>(out var d) && Math.Abs(d % 1) < double.Epsilon;

    private static TypeError Mismatch(JsonNode? node, string path, string expected)
    {
        var actual = node?.GetValueKind() switch
        {
            JsonValueKind.Object => "object",
            JsonValueKind.Array => "array",
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            JsonValueKind.True or JsonValueKind.False => "bool",
            _ => "null",
        };
        return new TypeError(path, $"json: cannot unmarshal {actual} into Go struct field .{path} of type {expected}");
    }
}
