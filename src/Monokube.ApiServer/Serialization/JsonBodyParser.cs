using System.Text.Json;
using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Serialization;

/// <summary>
/// Parses a JSON request body into nodes without recursion, bounding nesting depth, and recording duplicate
/// fields (kube-apiserver reports them in strict field validation; the last value wins otherwise).
/// </summary>
public static class JsonBodyParser
{
    public const int MaxDepth = 512;

    public static JsonNode? Parse(ReadOnlySpan<byte> json, List<string>? duplicates = null)
    {
        try
        {
            return ParseCore(json, duplicates);
        }
        catch (InvalidOperationException e) when (e.InnerException is System.Text.DecoderFallbackException)
        {
            // The reader validates structure, not the UTF-8 inside strings; decoding one finds it.
            throw new JsonException("a string is not valid UTF-8", e);
        }
    }

    private static JsonNode? ParseCore(ReadOnlySpan<byte> json, List<string>? duplicates)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow });
        var stack = new Stack<(JsonNode Container, PathStep? Step)>();
        JsonNode? root = null;
        string? propertyName = null;

        while (reader.Read())
        {
            JsonNode? value;
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    propertyName = reader.GetString();
                    continue;
                case JsonTokenType.StartObject:
                    value = new JsonObject();
                    break;
                case JsonTokenType.StartArray:
                    value = new JsonArray();
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    var (done, _) = stack.Pop();
                    if (stack.Count == 0)
                    {
                        root = done;
                    }

                    continue;
                case JsonTokenType.String:
                    value = JsonValue.Create(reader.GetString()!);
                    break;
                case JsonTokenType.Number:
                    value = reader.TryGetInt64(out var integer) ? JsonValue.Create(integer) : JsonValue.Create(reader.GetDouble());
                    break;
                case JsonTokenType.True:
                    value = JsonValue.Create(true);
                    break;
                case JsonTokenType.False:
                    value = JsonValue.Create(false);
                    break;
                case JsonTokenType.Null:
                    value = null;
                    break;
                default:
                    continue;
            }

            if (stack.Count == 0)
            {
                if (value is JsonObject or JsonArray)
                {
                    stack.Push((value, null));
                }
                else
                {
                    root = value;
                }

                continue;
            }

            // Where each container sits is kept only when duplicates are collected, and written out as a path only
            // for a duplicate.
            var (container, step) = stack.Peek();
            PathStep? childStep = null;
            if (container is JsonObject obj)
            {
                var name = propertyName!;
                if (!obj.TryAdd(name, value))
                {
                    duplicates?.Add(PathStep.Render(step, name));
                    obj.Remove(name);
                    obj[name] = value;
                }

                if (duplicates is not null && value is JsonObject or JsonArray)
                {
                    childStep = new PathStep(step, name, 0);
                }
            }
            else
            {
                var array = (JsonArray)container;
                if (duplicates is not null && value is JsonObject or JsonArray)
                {
                    childStep = new PathStep(step, null, array.Count);
                }

                array.Add(value);
            }

            if (value is JsonObject or JsonArray)
            {
                stack.Push((value, childStep));
            }
        }

        return root;
    }

    // A container's place in the body: a field of its parent (Name) or an element (Index).
    private sealed record PathStep(PathStep? Parent, string? Name, int Index)
    {
        // "spec.containers[0].name" for a field named name in the container at step.
        public static string Render(PathStep? step, string name)
        {
            var steps = new Stack<PathStep>();
            for (var at = step; at is not null; at = at.Parent)
            {
                steps.Push(at);
            }

            var path = new System.Text.StringBuilder();
            foreach (var at in steps)
            {
                if (at.Name is null)
                {
                    path.Append('[').Append(at.Index).Append(']');
                }
                else
                {
                    path.Append(path.Length == 0 ? "" : ".").Append(at.Name);
                }
            }

            return path.Append(path.Length == 0 ? "" : ".").Append(name).ToString();
        }
    }
}
