using System.Text.Json;
using System.Text.Json.Nodes;

namespace Monokube.Controllers.Hashing;

/// <summary>
/// The JSON Go's encoding/json writes for the typed value an object stands for: every field in declaration order,
/// empty omitempty fields left out, non-omitempty zero values and non-pointer structs always written (a zero
/// metav1.Time as null, a zero Quantity as "0"), quantities in canonical form. Empty lists and maps count as nil,
/// as after protobuf decoding.
/// </summary>
internal static class GoJson
{
    public static JsonNode? Marshal(JsonNode? value, string typeName) => Marshal(value, GoTypeTable.Get(typeName), roundResources: false);

    private static JsonNode? Marshal(JsonNode? value, GoType type, bool roundResources)
    {
        switch (type.Kind)
        {
            case "ptr":
                return value is null ? null : Marshal(value, GoTypeTable.Get(type.Elem!), roundResources);
            case "slice":
                if (value is not JsonArray { Count: > 0 } array)
                {
                    return null;
                }

                var elem = GoTypeTable.Get(type.Elem!);
                return new JsonArray([.. array.Select(item => Marshal(item, elem, roundResources))]);
            case "map":
                if (value is not JsonObject { Count: > 0 } map)
                {
                    return null;
                }

                var valueType = GoTypeTable.Get(type.Elem!);
                var round = type.Name == "v1.ResourceList";
                var result = new JsonObject();
                foreach (var (key, item) in map)
                {
                    result[key] = Marshal(item, valueType, round);
                }

                return result;
            case "struct":
                return MarshalStruct(value as JsonObject, value, type, roundResources);
            case "string":
                return JsonValue.Create(value is JsonValue s && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>() : "");
            case "bool":
                return JsonValue.Create(value?.GetValueKind() == JsonValueKind.True);
            default:
                return value is JsonValue n && n.GetValueKind() == JsonValueKind.Number ? n.DeepClone() : JsonValue.Create(0);
        }
    }

    private static JsonNode? MarshalStruct(JsonObject? obj, JsonNode? raw, GoType type, bool roundResources)
    {
        switch (type.Name)
        {
            case "v1.Time":
                return raw is JsonValue t && t.GetValueKind() == JsonValueKind.String ? JsonValue.Create(t.GetValue<string>()) : null;
            case "resource.Quantity":
                var text = raw?.GetValueKind() switch
                {
                    JsonValueKind.String => raw.GetValue<string>(),
                    JsonValueKind.Number => raw.ToJsonString(),
                    _ => "0",
                };
                return JsonValue.Create(GoQuantity.Canonical(text, roundResources ? -3 : null));
            case "intstr.IntOrString":
                return raw?.DeepClone() ?? JsonValue.Create(0);
        }

        var result = new JsonObject();
        AddFields(result, obj, type, roundResources);
        return result;
    }

    private static void AddFields(JsonObject result, JsonObject? obj, GoType type, bool roundResources)
    {
        foreach (var field in type.Fields)
        {
            if (!field.Exported || field.JsonName == "-")
            {
                continue;
            }

            var fieldType = GoTypeTable.Get(field.Type);
            if (field.Embedded && field.JsonName.Length == 0)
            {
                AddFields(result, obj, fieldType, roundResources);
                continue;
            }

            var name = field.JsonName.Length == 0 ? field.Name : field.JsonName;
            var marshaled = Marshal(obj?[name], fieldType, roundResources);
            if (field.OmitEmpty && fieldType.Kind != "struct" && IsEmpty(marshaled, fieldType))
            {
                continue;
            }

            result[name] = marshaled;
        }
    }

    // omitempty: false, 0, "", nil pointers, and nil or empty slices and maps (never structs).
    private static bool IsEmpty(JsonNode? value, GoType type) => type.Kind switch
    {
        "ptr" or "slice" or "map" => value is null,
        "string" => value?.GetValue<string>().Length == 0,
        "bool" => value?.GetValueKind() == JsonValueKind.False,
        _ => value is JsonValue n && n.ToJsonString() == "0",
    };
}
