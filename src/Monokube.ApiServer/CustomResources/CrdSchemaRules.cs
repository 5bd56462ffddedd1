using System.Text.Json;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.CustomResources;

/// <summary>
/// What kube-apiserver refuses in a CRD version's openAPIV3Schema before it serves it, in its words: uniqueItems,
/// x-kubernetes-preserve-unknown-fields: false, list and map types on the wrong type or with values it does not
/// know, and list-type map without keys, without an object item schema, or with keys that are not scalar item
/// properties; and CEL rules (x-kubernetes-validations), which monokube does not evaluate yet and so refuses rather
/// than serve the CRD without them. Walks properties, additionalProperties, items and the allOf/anyOf/oneOf/not
/// combinators.
/// </summary>
public static class CrdSchemaRules
{
    private static readonly string[] ListTypes = ["atomic", "set", "map"];
    private static readonly string[] MapTypes = ["atomic", "granular"];
    private static readonly string[] Combinators = ["allOf", "anyOf", "oneOf"];

    public static void Check(JsonObject schema, string path, List<StatusCause> causes)
    {
        var stack = new Stack<(JsonObject Schema, string Path)>();
        stack.Push((schema, path));
        while (stack.TryPop(out var current))
        {
            CheckOne(current.Schema, current.Path, causes);
            foreach (var child in Children(current.Schema, current.Path))
            {
                stack.Push(child);
            }
        }
    }

    private static void CheckOne(JsonObject s, string path, List<StatusCause> causes)
    {
        if (s.ContainsKey("x-kubernetes-validations"))
        {
            causes.Add(FieldErrors.Forbidden(path + ".x-kubernetes-validations", "x-kubernetes-validations (CEL) rules are not supported by monokube yet; remove them to serve this CRD"));
        }

        if (s["uniqueItems"] is JsonValue unique && unique.GetValueKind() == JsonValueKind.True)
        {
            causes.Add(FieldErrors.Forbidden(path + ".uniqueItems", "uniqueItems cannot be set to true since the runtime complexity becomes quadratic"));
        }

        if (s["x-kubernetes-preserve-unknown-fields"] is JsonValue preserve && preserve.GetValueKind() == JsonValueKind.False)
        {
            causes.Add(FieldErrors.Invalid(path + ".x-kubernetes-preserve-unknown-fields", preserve, "must be true or undefined"));
        }

        var type = s.GetString("type") ?? "";
        if (s.GetString("x-kubernetes-map-type") is { } mapType)
        {
            RequireType(type, "object", "x-kubernetes-map-type", path, causes);
            if (!MapTypes.Contains(mapType))
            {
                causes.Add(FieldErrors.NotSupported(path + ".x-kubernetes-map-type", mapType, MapTypes));
            }
        }

        var listType = s.GetString("x-kubernetes-list-type");
        if (listType is not null)
        {
            RequireType(type, "array", "x-kubernetes-list-type", path, causes);
            if (!ListTypes.Contains(listType))
            {
                causes.Add(FieldErrors.NotSupported(path + ".x-kubernetes-list-type", listType, ListTypes));
            }
        }

        var keys = s["x-kubernetes-list-map-keys"] as JsonArray;
        if (keys is { Count: > 0 } && listType != "map")
        {
            causes.Add(listType is null
                ? FieldErrors.Required(path + ".x-kubernetes-list-type", "must be map if x-kubernetes-list-map-keys is non-empty")
                : FieldErrors.Invalid(path + ".x-kubernetes-list-type", listType, "must be map if x-kubernetes-list-map-keys is non-empty"));
        }

        if (listType == "map")
        {
            CheckListMap(s, keys, path, causes);
        }
    }

    private static void RequireType(string type, string wanted, string extension, string path, List<StatusCause> causes)
    {
        if (type == wanted)
        {
            return;
        }

        var detail = $"must be {wanted} if {extension} is specified";
        causes.Add(type.Length == 0 ? FieldErrors.Required(path + ".type", detail) : FieldErrors.Invalid(path + ".type", type, detail));
    }

    private static void CheckListMap(JsonObject s, JsonArray? keys, string path, List<StatusCause> causes)
    {
        if (keys is not { Count: > 0 })
        {
            causes.Add(FieldErrors.Required(path + ".x-kubernetes-list-map-keys", "must not be empty if x-kubernetes-list-type is map"));
        }

        if (s["items"] is not JsonObject items)
        {
            causes.Add(s["items"] is null
                ? FieldErrors.Required(path + ".items", "must have a schema if x-kubernetes-list-type is map")
                : FieldErrors.Invalid(path + ".items", s["items"], "must only have a single schema if x-kubernetes-list-type is map"));
            return;
        }

        var itemType = items.GetString("type") ?? "";
        if (itemType != "object")
        {
            causes.Add(FieldErrors.Invalid(path + ".items.type", itemType, "must be object if parent array's x-kubernetes-list-type is map"));
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var required = (items["required"] as JsonArray ?? []).Select(r => r?.ToString()).ToHashSet(StringComparer.Ordinal);
        foreach (var key in (keys ?? []).Select(k => k?.ToString() ?? ""))
        {
            if (items["properties"]?[key] is JsonObject property)
            {
                if (property.GetString("type") is "array" or "object")
                {
                    causes.Add(FieldErrors.Invalid($"{path}.items.properties[{key}].type", itemType, "must be a scalar type if parent array's x-kubernetes-list-type is map"));
                }

                // A key must be there in every element: required, or filled in by its default; and never null.
                if (!required.Contains(key) && property["default"] is null)
                {
                    causes.Add(FieldErrors.Required($"{path}.items.properties[{key}].default", "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property"));
                }

                if (property.GetBool("nullable"))
                {
                    causes.Add(FieldErrors.Forbidden($"{path}.items.properties[{key}].nullable", "this property is in x-kubernetes-list-map-keys, so it cannot be nullable"));
                }
            }
            else
            {
                causes.Add(FieldErrors.Invalid(path + ".x-kubernetes-list-map-keys", keys, "entries must all be names of item properties"));
            }

            if (!seen.Add(key))
            {
                causes.Add(FieldErrors.Invalid(path + ".x-kubernetes-list-map-keys", keys, "must not contain duplicate entries"));
            }
        }
    }

    private static IEnumerable<(JsonObject, string)> Children(JsonObject s, string path)
    {
        if (s["properties"] is JsonObject properties)
        {
            foreach (var (name, value) in properties)
            {
                if (value is JsonObject property)
                {
                    yield return (property, $"{path}.properties[{name}]");
                }
            }
        }

        if (s["additionalProperties"] is JsonObject additional)
        {
            yield return (additional, path + ".additionalProperties");
        }

        if (s["items"] is JsonObject item)
        {
            yield return (item, path + ".items");
        }
        else if (s["items"] is JsonArray itemList)
        {
            for (var i = 0; i < itemList.Count; i++)
            {
                if (itemList[i] is JsonObject one)
                {
                    yield return (one, $"{path}.items[{i}]");
                }
            }
        }

        foreach (var combinator in Combinators)
        {
            if (s[combinator] is JsonArray list)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (list[i] is JsonObject one)
                    {
                        yield return (one, $"{path}.{combinator}[{i}]");
                    }
                }
            }
        }

        if (s["not"] is JsonObject not)
        {
            yield return (not, path + ".not");
        }
    }
}
