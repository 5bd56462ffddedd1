using System.Text.Json;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Patching;
using Monokube.ApiServer.Schema;

namespace Monokube.ApiServer.ServerSideApply;

/// <summary>
/// Turns objects into field sets and resolves field paths against objects, with the list semantics of the type:
/// lists merged by a key are addressed by "k:{key}", primitive merge lists by "v:value", other lists are atomic.
/// </summary>
public static class FieldPaths
{
    // What is not owned by anyone: identity, server-managed metadata, and the type's header.
    private static readonly HashSet<string> IgnoredTopLevel = ["apiVersion", "kind"];
    private static readonly HashSet<string> IgnoredMetadata =
    [
        "name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
        "deletionGracePeriodSeconds", "managedFields", "selfLink", "generateName",
    ];

    /// <summary>
    /// The leaf fields set in <paramref name="obj"/>; status is left out unless <paramref name="includeStatus"/>.
    /// With <paramref name="strict"/> (an applied configuration), an element of a custom resource's keyed list without
    /// one of its keys, or two elements with the same keys, is refused with <see cref="ApplyConfigurationException"/>, as kube
    /// refuses to build a typed patch object from it.
    /// </summary>
    public static FieldSet Of(JsonObject obj, SchemaNode? schema, bool includeStatus, bool strict = false)
    {
        var set = new FieldSet();
        foreach (var (name, value) in obj)
        {
            if (IgnoredTopLevel.Contains(name) || value is null || (name == "status" && !includeStatus) || (name != "status" && includeStatus && name != "metadata"))
            {
                continue;
            }

            var child = Child(schema, name);
            if (name == "metadata" && value is JsonObject metadata)
            {
                var meta = set.Child("f:metadata");
                foreach (var (field, v) in metadata)
                {
                    if (!IgnoredMetadata.Contains(field) && v is not null)
                    {
                        AddValue(meta, "f:" + field, v, Child(child, field), Strategy(child, field), strict ? ".metadata." + field : null);
                    }
                }

                if (meta.IsEmpty)
                {
                    set.Remove("f:metadata");
                }

                continue;
            }

            AddValue(set, "f:" + name, value, child, Strategy(schema, name), strict ? "." + name : null);
        }

        return set;
    }

    // path is where the value is, as kube names it in its errors (".spec.ports", ".spec.containers[name=\"web\"]"),
    // when an applied configuration is checked; null otherwise.
    private static void AddValue(FieldSet parent, string key, JsonNode value, SchemaNode? schema, PatchStrategy? strategy, string? path)
    {
        // Only a custom resource's keys are checked: a built-in list's merge key is its strategic-merge-patch key,
        // which is not always all of kube's list-map keys (container ports are keyed by port and protocol).
        var checkKeys = path is not null && strategy is null && schema?.ListStrategy is not null;
        strategy ??= schema?.ListStrategy;
        switch (value)
        {
            case JsonObject obj when obj.Count > 0 && schema?.Type is SchemaType.Object or SchemaType.Map or SchemaType.Any or null && schema?.Atomic != true:
                var node = parent.Child(key);
                foreach (var (name, child) in obj)
                {
                    if (child is not null)
                    {
                        var childSchema = schema?.Type == SchemaType.Map ? schema.Items : Child(schema, name);
                        AddValue(node, "f:" + name, child, childSchema, schema?.Type == SchemaType.Object ? Strategy(schema, name) : null, path is null ? null : path + "." + name);
                    }
                }

                break;
            case JsonArray array when strategy is { MergeList: true } && array.Count > 0:
                var list = parent.Child(key);
                for (var i = 0; i < array.Count; i++)
                {
                    var item = array[i];
                    if (strategy.MergeKeys.Count > 0 && item is JsonObject element)
                    {
                        var missing = strategy.MergeKeys.FirstOrDefault(k => element[k] is null);
                        if (missing is not null)
                        {
                            if (checkKeys)
                            {
                                throw new ApplyConfigurationException($"{path}: element {i}: associative list with keys has an element that omits key field \"{missing}\" (and doesn't have default value)");
                            }

                            continue;
                        }

                        var elementKey = ElementKey(strategy.MergeKeys, element);
                        if (checkKeys && list.Children.ContainsKey(elementKey))
                        {
                            throw new ApplyConfigurationException($"{path}: duplicate entries for key {KeyText(strategy.MergeKeys, element)}");
                        }

                        var itemNode = list.Child(elementKey);
                        itemNode.Child(".");
                        var itemPath = path is null ? null : path + KeyText(strategy.MergeKeys, element);
                        foreach (var (name, child) in element)
                        {
                            if (child is not null)
                            {
                                AddValue(itemNode, "f:" + name, child, Child(schema?.Items, name), Strategy(schema?.Items, name), itemPath is null ? null : itemPath + "." + name);
                            }
                        }
                    }
                    else if (strategy.MergeKeys.Count == 0 && item is not null)
                    {
                        var valueKey = "v:" + item.ToJsonString();
                        if (checkKeys && list.Children.ContainsKey(valueKey))
                        {
                            throw new ApplyConfigurationException($"{path}: duplicate entries for key {item.ToJsonString()}");
                        }

                        list.Child(valueKey);
                    }
                }

                break;
            default:
                parent.Child(key);
                break;
        }
    }

    /// <summary>The "k:{...}" path element of a keyed list's element: its keys in name order, as kube writes them.</summary>
    public static string ElementKey(IReadOnlyList<string> keys, JsonObject element)
    {
        var values = new JsonObject();
        foreach (var key in keys.Order(StringComparer.Ordinal))
        {
            values[key] = element[key]?.DeepClone();
        }

        return "k:" + values.ToJsonString();
    }

    // [name="web"] or [containerPort=80,protocol="TCP"], as kube's errors name a keyed element.
    private static string KeyText(IReadOnlyList<string> keys, JsonObject element) =>
        "[" + string.Join(",", keys.Order(StringComparer.Ordinal).Select(k => k + "=" + element[k]?.ToJsonString())) + "]";

    /// <summary>The value at a field path, or null (with found=false) when the path does not exist in the object.</summary>
    public static JsonNode? Resolve(JsonObject root, IReadOnlyList<string> path, out bool found)
    {
        JsonNode? current = root;
        found = true;
        foreach (var key in path)
        {
            if (key == ".")
            {
                break;
            }

            switch (current)
            {
                case JsonObject obj when key.StartsWith("f:", StringComparison.Ordinal):
                    if (!obj.TryGetPropertyValue(key[2..], out current))
                    {
                        found = false;
                        return null;
                    }

                    break;
                case JsonArray array when key.StartsWith("k:", StringComparison.Ordinal):
                    current = FindElement(array, key);
                    if (current is null)
                    {
                        found = false;
                        return null;
                    }

                    break;
                case JsonArray array when key.StartsWith("v:", StringComparison.Ordinal):
                    var wanted = JsonNode.Parse(key[2..]);
                    current = array.FirstOrDefault(i => JsonNode.DeepEquals(i, wanted));
                    if (current is null)
                    {
                        found = false;
                        return null;
                    }

                    break;
                default:
                    found = false;
                    return null;
            }
        }

        return current;
    }

    /// <summary>Removes the field (or list element) a path names from the object.</summary>
    public static void RemovePath(JsonObject root, IReadOnlyList<string> path)
    {
        if (path.Count > 0 && path[^1] == ".")
        {
            path = path.Take(path.Count - 1).ToList();
        }

        if (path.Count == 0)
        {
            return;
        }

        var parent = Resolve(root, path.Take(path.Count - 1).ToList(), out var found);
        if (!found)
        {
            return;
        }

        var last = path[^1];
        switch (parent)
        {
            case JsonObject obj when last.StartsWith("f:", StringComparison.Ordinal):
                obj.Remove(last[2..]);
                break;
            case JsonArray array when last.StartsWith("k:", StringComparison.Ordinal):
                var element = FindElement(array, last);
                if (element is not null)
                {
                    array.Remove(element);
                }

                break;
            case JsonArray array when last.StartsWith("v:", StringComparison.Ordinal):
                var wanted = JsonNode.Parse(last[2..]);
                var item = array.FirstOrDefault(i => JsonNode.DeepEquals(i, wanted));
                if (item is not null)
                {
                    array.Remove(item);
                }

                break;
        }
    }

    private static JsonNode? FindElement(JsonArray array, string key)
    {
        if (JsonNode.Parse(key[2..]) is not JsonObject keys)
        {
            return null;
        }

        return array.OfType<JsonObject>().FirstOrDefault(e => keys.All(k => JsonNode.DeepEquals(e[k.Key], k.Value)));
    }

    public static SchemaNode? Child(SchemaNode? schema, string name) => schema?.Type switch
    {
        SchemaType.Object => schema.Properties.TryGetValue(name, out var child) ? child : null,
        SchemaType.Map => schema.Items,
        _ => null,
    };

    public static PatchStrategy? Strategy(SchemaNode? schema, string name) =>
        schema?.Type == SchemaType.Object ? PatchStrategies.Find(schema.ModelName, name) : null;

    internal static bool IsNull(JsonNode? node) => node is null || node.GetValueKind() == JsonValueKind.Null;
}
