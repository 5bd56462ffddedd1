using System.Text.Json;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Schema;

namespace Monokube.ApiServer.Patching;

/// <summary>
/// Kubernetes strategic merge patch: a JSON merge patch whose lists merge by key where the type says so, with the
/// directives kubectl sends ($patch: replace|delete|merge, $retainKeys, $setElementOrder/&lt;field&gt;,
/// $deleteFromPrimitiveList/&lt;field&gt;). Fields without a schema (custom data) merge as in a JSON merge patch.
/// </summary>
public static class StrategicMergePatch
{
    private const string PatchDirective = "$patch";
    private const string RetainKeysDirective = "$retainKeys";
    private const string SetElementOrderPrefix = "$setElementOrder/";
    private const string DeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/";

    public static JsonObject Apply(JsonObject original, JsonObject patch, SchemaNode? schema)
    {
        var result = MergeObject((JsonObject)original.DeepClone(), patch, schema);
        return result as JsonObject ?? throw new PatchException("the patch deletes the whole object");
    }

    private static JsonNode? MergeObject(JsonObject original, JsonObject patch, SchemaNode? schema)
    {
        switch (Directive(patch))
        {
            case "replace":
                var replacement = (JsonObject)patch.DeepClone();
                replacement.Remove(PatchDirective);
                return replacement;
            case "delete":
                return null;
            case null or "merge":
                break;
            case var other:
                throw new PatchException($"unknown patch type: {other} in map: {patch.ToJsonString()}", malformed: true);
        }

        foreach (var (name, value) in patch)
        {
            if (name == PatchDirective || name == RetainKeysDirective || name.StartsWith(SetElementOrderPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (name.StartsWith(DeleteFromPrimitiveListPrefix, StringComparison.Ordinal))
            {
                var field = name[DeleteFromPrimitiveListPrefix.Length..];
                if (original[field] is JsonArray list && value is JsonArray remove)
                {
                    foreach (var item in list.Where(i => remove.Any(r => JsonNode.DeepEquals(r, i))).ToList())
                    {
                        list.Remove(item);
                    }
                }

                continue;
            }

            if (value is null)
            {
                original.Remove(name);
                continue;
            }

            var child = ChildSchema(schema, name);
            var strategy = schema?.Type == SchemaType.Object ? PatchStrategies.Find(schema.ModelName, name) : null;
            var existing = original[name];
            original.Remove(name);
            original[name] = MergeValue(existing, value, child, strategy, patch, name);
        }

        if (patch[RetainKeysDirective] is JsonArray retain)
        {
            var keep = retain.Select(k => k?.ToString()).ToHashSet(StringComparer.Ordinal);
            foreach (var key in original.Select(kv => kv.Key).ToList())
            {
                if (!keep.Contains(key))
                {
                    original.Remove(key);
                }
            }
        }

        return original;
    }

    private static JsonNode? MergeValue(JsonNode? existing, JsonNode value, SchemaNode? schema, PatchStrategy? strategy, JsonObject parentPatch, string name)
    {
        strategy ??= schema?.ListStrategy;
        if (schema?.Atomic == true)
        {
            return value.DeepClone();
        }

        switch (value)
        {
            case JsonObject patchObject when schema?.Type == SchemaType.Map:
                var map = existing as JsonObject ?? [];
                if (Directive(patchObject) == "replace")
                {
                    var replaced = (JsonObject)patchObject.DeepClone();
                    replaced.Remove(PatchDirective);
                    return replaced;
                }

                foreach (var (mapKey, item) in patchObject)
                {
                    if (mapKey == PatchDirective)
                    {
                        continue;
                    }

                    var old = map[mapKey];
                    map.Remove(mapKey);
                    if (item is null)
                    {
                        continue;
                    }

                    map[mapKey] = MergeValue(old, item, schema.Items, null, patchObject, mapKey);
                }

                return map;
            case JsonObject patchObject when schema is null || schema.Type is SchemaType.Object or SchemaType.Any:
                return existing is JsonObject existingObject
                    ? MergeObject(existingObject, patchObject, schema?.Type == SchemaType.Object ? schema : null)
                    : MergeObject([], patchObject, schema?.Type == SchemaType.Object ? schema : null);
            case JsonArray patchList when strategy is { MergeList: true }:
                var order = parentPatch[SetElementOrderPrefix + name] as JsonArray;
                return strategy.MergeKeys.Count > 0
                    ? MergeKeyedList(existing as JsonArray ?? [], patchList, strategy.MergeKeys, schema?.Items, order)
                    : MergePrimitiveList(existing as JsonArray ?? [], patchList, order);
            default:
                return value.DeepClone();
        }
    }

    private static JsonArray MergeKeyedList(JsonArray original, JsonArray patch, IReadOnlyList<string> keys, SchemaNode? itemSchema, JsonArray? order)
    {
        // A {"$patch": "replace"} element replaces the list with the patch's other elements.
        if (patch.OfType<JsonObject>().Any(p => Directive(p) == "replace"))
        {
            return [.. patch.OfType<JsonObject>().Where(p => Directive(p) != "replace").Select(p => p.DeepClone())];
        }

        var items = original.Select(i => i?.DeepClone()).ToList();
        foreach (var element in patch)
        {
            if (element is not JsonObject patchItem)
            {
                throw new PatchException($"a list merged by \"{string.Join(",", keys)}\" must contain objects", malformed: true);
            }

            if (keys.FirstOrDefault(k => !patchItem.ContainsKey(k)) is { } missing)
            {
                throw new PatchException($"map: {patchItem.ToJsonString()} does not contain declared merge key: {missing}");
            }

            var index = items.FindIndex(i => i is JsonObject o && keys.All(k => JsonNode.DeepEquals(o[k], patchItem[k])));
            var directive = Directive(patchItem);
            if (directive == "delete")
            {
                if (index >= 0)
                {
                    items.RemoveAt(index);
                }

                continue;
            }

            if (index >= 0)
            {
                items[index] = MergeObject((JsonObject)items[index]!, patchItem, itemSchema);
            }
            else
            {
                var added = (JsonObject)patchItem.DeepClone();
                added.Remove(PatchDirective);
                items.Add(MergeObject([], added, itemSchema));
            }
        }

        if (order is not null)
        {
            items = [.. items.OrderBy(i => Position(order, i is JsonObject o ? o[keys[0]] : null))];
        }

        var result = new JsonArray();
        foreach (var item in items)
        {
            result.Add(item);
        }

        return result;
    }

    private static JsonArray MergePrimitiveList(JsonArray original, JsonArray patch, JsonArray? order)
    {
        var items = original.Select(i => i?.DeepClone()).ToList();
        foreach (var value in patch)
        {
            if (!items.Any(i => JsonNode.DeepEquals(i, value)))
            {
                items.Add(value?.DeepClone());
            }
        }

        if (order is not null)
        {
            items = [.. items.OrderBy(i => Position(order, i))];
        }

        var result = new JsonArray();
        foreach (var item in items)
        {
            result.Add(item);
        }

        return result;
    }

    // Elements named in $setElementOrder come in its order; others keep their relative order after them.
    private static int Position(JsonArray order, JsonNode? value)
    {
        for (var i = 0; i < order.Count; i++)
        {
            var entry = order[i] is JsonObject o && o.Count == 1 ? o.First().Value : order[i];
            if (JsonNode.DeepEquals(entry, value))
            {
                return i;
            }
        }

        return order.Count;
    }

    private static SchemaNode? ChildSchema(SchemaNode? schema, string name) => schema?.Type switch
    {
        SchemaType.Object => schema.Properties.TryGetValue(name, out var child) ? child : null,
        SchemaType.Map => schema.Items,
        _ => null,
    };

    private static string? Directive(JsonObject obj) =>
        obj[PatchDirective] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
