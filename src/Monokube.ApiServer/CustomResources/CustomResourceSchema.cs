using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Schema;

namespace Monokube.ApiServer.CustomResources;

/// <summary>
/// A CRD version's structural openAPIV3Schema as the schema objects are decoded against: fields the schema does not
/// name are pruned (and refused with fieldValidation=Strict), values of the wrong type are refused.
/// x-kubernetes-preserve-unknown-fields keeps a subtree as sent, x-kubernetes-int-or-string takes either, and
/// apiVersion, kind and metadata (ObjectMeta's fields) are always known.
/// </summary>
public static class CustomResourceSchema
{
    public static SchemaNode? From(JsonObject? openApi, SchemaNode metadata)
    {
        if (openApi is null)
        {
            return null;
        }

        var root = Convert(openApi);
        if (root.Type != SchemaType.Object)
        {
            return root;
        }

        var properties = new Dictionary<string, SchemaNode>(root.Properties, StringComparer.Ordinal)
        {
            ["apiVersion"] = SchemaNode.String,
            ["kind"] = SchemaNode.String,
            ["metadata"] = metadata,
        };
        return new SchemaNode(SchemaType.Object, null, () => properties);
    }

    private static SchemaNode Convert(JsonObject schema)
    {
        if (schema.GetBool("x-kubernetes-preserve-unknown-fields") || schema.GetBool("x-kubernetes-embedded-resource"))
        {
            return SchemaNode.Any;
        }

        if (schema.GetBool("x-kubernetes-int-or-string"))
        {
            return new SchemaNode(SchemaType.IntOrString);
        }

        switch (schema.GetString("type"))
        {
            case "object":
                if (schema["properties"] is JsonObject props)
                {
                    var properties = props.Where(p => p.Value is JsonObject).ToDictionary(p => p.Key, p => Convert((JsonObject)p.Value!), StringComparer.Ordinal);
                    return new SchemaNode(SchemaType.Object, null, () => properties);
                }

                return schema["additionalProperties"] switch
                {
                    JsonObject values => new SchemaNode(SchemaType.Map, null, null, Convert(values)),
                    JsonValue allowed when allowed.GetValueKind() == System.Text.Json.JsonValueKind.True => SchemaNode.Any,
                    _ => new SchemaNode(SchemaType.Object),
                };
            case "array":
                return new SchemaNode(SchemaType.Array, null, null, schema["items"] is JsonObject items ? Convert(items) : SchemaNode.Any);
            case "string":
                return SchemaNode.String;
            case "integer":
                return new SchemaNode(SchemaType.Integer);
            case "number":
                return new SchemaNode(SchemaType.Number);
            case "boolean":
                return new SchemaNode(SchemaType.Boolean);
            default:
                return SchemaNode.Any;
        }
    }
}
