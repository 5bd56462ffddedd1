using System.Text.Json;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Validation;

namespace Monokube.ApiServer.CustomResources;

/// <summary>
/// Whether a CRD version's openAPIV3Schema is structural, as apiextensions.k8s.io/v1 demands before it serves the
/// CRD, with kube-apiserver's messages: every specified field, array item and the root has a type (the root an
/// object), arrays have items, additionalProperties is not used at the root, apiVersion/kind/metadata have their
/// types at the root and in embedded resources, root metadata restricts at most name and generateName, embedded
/// resources are objects with properties (or preserve unknown fields), x-kubernetes-int-or-string goes with neither
/// preserve-unknown-fields nor embedded-resource, and the value validations under allOf/anyOf/oneOf/not only
/// constrain values (no type, default, title, description, nullable, additionalProperties, nested metadata or
/// x-kubernetes extensions there, except the two int-or-string forms of anyOf).
/// </summary>
public static class CrdStructuralSchema
{
    private enum Level
    {
        Root,
        Item,
        Field,
    }

    private static readonly string[] Junctors = ["allOf", "anyOf", "oneOf"];

    /// <summary>Adds a cause for each violation, sorted as kube-apiserver sorts them (by path, then message).</summary>
    public static void Check(JsonObject schema, string path, List<StatusCause> causes)
    {
        var found = new List<StatusCause>();
        CheckNode(schema, Level.Root, path, found);
        causes.AddRange(found.OrderBy(c => $"{c.Field}: {c.Message}", StringComparer.Ordinal));
    }

    // A node of the structural part: reached from the root through properties, items and additionalProperties only.
    private static void CheckNode(JsonObject s, Level level, string path, List<StatusCause> causes)
    {
        var type = s.GetString("type") ?? "";
        if (type == "array" && s["items"] is null)
        {
            causes.Add(FieldErrors.Required(path + ".items", "must be specified"));
        }

        if (s["items"] is JsonObject items)
        {
            CheckNode(items, Level.Item, path + ".items", causes);
        }

        if (s["properties"] is JsonObject properties)
        {
            foreach (var (name, value) in properties)
            {
                if (value is JsonObject property)
                {
                    CheckNode(property, Level.Field, $"{path}.properties[{name}]", causes);
                }
            }
        }

        if (s["additionalProperties"] is { } additional && additional.GetValueKind() != JsonValueKind.False)
        {
            if (level == Level.Root)
            {
                causes.Add(FieldErrors.Forbidden(path + ".additionalProperties", "must not be used at the root"));
            }

            if (additional is JsonObject additionalSchema)
            {
                CheckNode(additionalSchema, Level.Field, path + ".additionalProperties", causes);
            }
        }

        var intOrString = IsTrue(s, "x-kubernetes-int-or-string");
        var preserve = IsTrue(s, "x-kubernetes-preserve-unknown-fields");
        var embedded = IsTrue(s, "x-kubernetes-embedded-resource");
        if (intOrString && preserve)
        {
            causes.Add(FieldErrors.Invalid(path + ".x-kubernetes-preserve-unknown-fields", true, "must be false if x-kubernetes-int-or-string is true"));
        }

        if (intOrString && embedded)
        {
            causes.Add(FieldErrors.Invalid(path + ".x-kubernetes-embedded-resource", true, "must be false if x-kubernetes-int-or-string is true"));
        }

        var firstAllOf = s["allOf"] is JsonArray { Count: > 0 } allOf ? allOf[0] as JsonObject : null;
        CheckValueValidations(s, path, level, IsIntOrStringAnyOf(s["anyOf"]), IsIntOrStringAnyOf(firstAllOf?["anyOf"]), causes);

        if (embedded && type != "object")
        {
            const string detail = "must be object if x-kubernetes-embedded-resource is true";
            causes.Add(type.Length == 0 ? FieldErrors.Required(path + ".type", detail) : FieldErrors.Invalid(path + ".type", type, detail));
        }
        else if (type.Length == 0 && !intOrString && !preserve)
        {
            causes.Add(FieldErrors.Required(path + ".type", level switch
            {
                Level.Root => "must not be empty at the root",
                Level.Item => "must not be empty for specified array items",
                _ => "must not be empty for specified object fields",
            }));
        }

        if (embedded && s["additionalProperties"] is not null)
        {
            causes.Add(FieldErrors.Forbidden(path + ".additionalProperties", "must not be used if x-kubernetes-embedded-resource is set"));
        }

        if (level == Level.Root && type.Length > 0 && type != "object")
        {
            causes.Add(FieldErrors.Invalid(path + ".type", type, "must be object at the root"));
        }

        if (level == Level.Root || embedded)
        {
            CheckObjectFields(s["properties"] as JsonObject, path, causes);
        }

        if (level == Level.Root && s["properties"]?["metadata"] is JsonObject metadata && !OnlyNamesRestricted(metadata))
        {
            causes.Add(FieldErrors.Forbidden(path + ".properties[metadata]", "must not specify anything other than name and generateName, but metadata is implicitly specified"));
        }

        if (embedded && !preserve && s["properties"] is not JsonObject { Count: > 0 })
        {
            causes.Add(FieldErrors.Required(path + ".properties", "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields"));
        }
    }

    // apiVersion and kind are strings and metadata an object, at the root and in embedded resources.
    private static void CheckObjectFields(JsonObject? properties, string path, List<StatusCause> causes)
    {
        foreach (var (field, wanted) in (ReadOnlySpan<(string, string)>)[("kind", "string"), ("apiVersion", "string"), ("metadata", "object")])
        {
            if (properties?[field] is JsonObject property && (property.GetString("type") ?? "") is var type && type != wanted)
            {
                causes.Add(FieldErrors.Invalid($"{path}.properties[{field}].type", type, "must be " + wanted));
            }
        }
    }

    // Root metadata may say it is an object (with a default) and restrict name and generateName; nothing more.
    private static bool OnlyNamesRestricted(JsonObject metadata)
    {
        foreach (var (key, value) in metadata)
        {
            switch (key)
            {
                case "type" or "default":
                    break;
                case "properties" when value is JsonObject { Count: > 0 } properties && properties.All(p => p.Key is "name" or "generateName"):
                    break;
                default:
                    return false;
            }
        }

        return true;
    }

    // allOf/anyOf/oneOf/not: they may only constrain values. The anyOf of an int-or-string node (and the anyOf of
    // its first allOf) may name the two types.
    private static void CheckValueValidations(JsonObject v, string path, Level level, bool skipAnyOf, bool skipFirstAllOfAnyOf, List<StatusCause> causes)
    {
        foreach (var junctor in Junctors)
        {
            if (v[junctor] is not JsonArray list || (junctor == "anyOf" && skipAnyOf))
            {
                continue;
            }

            for (var i = 0; i < list.Count; i++)
            {
                if (list[i] is JsonObject nested)
                {
                    CheckNested(nested, $"{path}.{junctor}[{i}]", level, junctor == "allOf" && i == 0 && skipFirstAllOfAnyOf, causes);
                }
            }
        }

        if (v["not"] is JsonObject not)
        {
            CheckNested(not, path + ".not", level, false, causes);
        }
    }

    private static void CheckNested(JsonObject v, string path, Level level, bool skipAnyOf, List<StatusCause> causes)
    {
        CheckValueValidations(v, path, level, skipAnyOf, false, causes);
        if (v["items"] is JsonObject items)
        {
            CheckNested(items, path + ".items", level, false, causes);
        }

        if (v["properties"] is JsonObject properties)
        {
            foreach (var (name, value) in properties)
            {
                if (value is JsonObject property)
                {
                    CheckNested(property, $"{path}.properties[{name}]", Level.Field, false, causes);
                }
            }
        }

        Forbid(!string.IsNullOrEmpty(v.GetString("type")), "type", "must be empty to be structural");
        Forbid(v["additionalProperties"] is not null, "additionalProperties", "must be undefined to be structural");
        Forbid(v["default"] is not null, "default", "must be undefined to be structural");
        Forbid(!string.IsNullOrEmpty(v.GetString("title")), "title", "must be empty to be structural");
        Forbid(!string.IsNullOrEmpty(v.GetString("description")), "description", "must be empty to be structural");
        Forbid(IsTrue(v, "nullable"), "nullable", "must be false to be structural");
        Forbid(IsTrue(v, "x-kubernetes-preserve-unknown-fields"), "x-kubernetes-preserve-unknown-fields", "must be false to be structural");
        Forbid(IsTrue(v, "x-kubernetes-embedded-resource"), "x-kubernetes-embedded-resource", "must be false to be structural");
        Forbid(IsTrue(v, "x-kubernetes-int-or-string"), "x-kubernetes-int-or-string", "must be false to be structural");
        Forbid(v["x-kubernetes-list-map-keys"] is JsonArray { Count: > 0 }, "x-kubernetes-list-map-keys", "must be empty to be structural");
        Forbid(v["x-kubernetes-list-type"] is not null, "x-kubernetes-list-type", "must be undefined to be structural");
        Forbid(v["properties"]?["metadata"] is not null, "properties[metadata]", "must not be specified in a nested context");

        void Forbid(bool when, string field, string detail)
        {
            if (when)
            {
                causes.Add(FieldErrors.Forbidden(path + "." + field, detail));
            }
        }
    }

    // anyOf: [{type: integer}, {type: string}], exactly: the form x-kubernetes-int-or-string may take.
    private static bool IsIntOrStringAnyOf(JsonNode? anyOf) =>
        anyOf is JsonArray { Count: 2 } list
        && list[0] is JsonObject { Count: 1 } a && a.GetString("type") == "integer"
        && list[1] is JsonObject { Count: 1 } b && b.GetString("type") == "string";

    private static bool IsTrue(JsonObject s, string name) => s[name] is JsonValue value && value.GetValueKind() == JsonValueKind.True;
}
