using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Patching;
using Monokube.ApiServer.Schema;

namespace Monokube.ApiServer.CustomResources;

/// <summary>
/// A CRD version's structural openAPIV3Schema as the schema objects are pruned against: fields the schema does not
/// name are pruned (and refused with fieldValidation=Strict), nulls are dropped unless the field is nullable.
/// x-kubernetes-preserve-unknown-fields keeps unknown fields (and checks the known ones), and apiVersion, kind and
/// metadata (ObjectMeta's fields) are known at the root and in x-kubernetes-embedded-resource objects. Lists carry
/// their x-kubernetes-list-type and objects their x-kubernetes-map-type for server-side apply. Types are left to
/// <see cref="CustomResourceValidator"/>.
/// </summary>
public static class CustomResourceSchema
{
    public static SchemaNode? From(JsonObject? openApi, SchemaNode metadata)
    {
        if (openApi is null)
        {
            return null;
        }

        return Convert(openApi, metadata, root: true);
    }

    private static SchemaNode Convert(JsonObject schema, SchemaNode metadata, bool root = false)
    {
        var nullable = schema.GetBool("nullable");
        var preserve = schema.GetBool("x-kubernetes-preserve-unknown-fields");
        var embedded = root || schema.GetBool("x-kubernetes-embedded-resource");
        var atomic = schema.GetString("x-kubernetes-map-type") == "atomic";
        if (schema.GetBool("x-kubernetes-int-or-string"))
        {
            return new SchemaNode(SchemaType.IntOrString) { Nullable = nullable };
        }

        var type = schema.GetString("type");
        if (type == "object" || (type is null && (embedded || schema["properties"] is JsonObject)))
        {
            if (schema["properties"] is JsonObject || embedded)
            {
                var properties = (schema["properties"] as JsonObject ?? []).Where(p => p.Value is JsonObject).ToDictionary(p => p.Key, p => Convert((JsonObject)p.Value!, metadata), StringComparer.Ordinal);
                if (embedded)
                {
                    // apiVersion, kind and metadata (ObjectMeta's fields) of the object itself or of an embedded one.
                    properties["apiVersion"] = SchemaNode.String;
                    properties["kind"] = SchemaNode.String;
                    properties["metadata"] = metadata;
                }

                return new SchemaNode(SchemaType.Object, null, () => properties) { Nullable = nullable, PreservesUnknownFields = preserve, Atomic = atomic };
            }

            if (preserve)
            {
                return new SchemaNode(SchemaType.Any) { Nullable = nullable };
            }

            return schema["additionalProperties"] switch
            {
                JsonObject values => new SchemaNode(SchemaType.Map, null, null, Convert(values, metadata)) { Nullable = nullable, Atomic = atomic },
                JsonValue allowed when allowed.GetValueKind() == System.Text.Json.JsonValueKind.True => new SchemaNode(SchemaType.Any) { Nullable = nullable },
                _ => new SchemaNode(SchemaType.Object) { Nullable = nullable, Atomic = atomic },
            };
        }

        if (preserve)
        {
            return new SchemaNode(SchemaType.Any) { Nullable = nullable };
        }

        // Types are checked by the validator (422 Invalid, as kube answers); here they only say what to descend into.
        return type switch
        {
            "array" => new SchemaNode(SchemaType.Array, null, null, schema["items"] is JsonObject items ? Convert(items, metadata) : SchemaNode.Any)
            {
                Nullable = nullable,
                ListStrategy = PatchStrategy.ForListType(schema.GetString("x-kubernetes-list-type"), (schema["x-kubernetes-list-map-keys"] as JsonArray ?? []).Select(k => k?.ToString() ?? "").ToList()),
            },
            _ => new SchemaNode(SchemaType.Any) { Nullable = nullable },
        };
    }
}
