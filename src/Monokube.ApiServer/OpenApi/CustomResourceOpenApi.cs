using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.ApiServer.Registry;

namespace Monokube.ApiServer.OpenApi;

/// <summary>
/// The OpenAPI schema of a custom resource kind as kube-apiserver publishes it: the CRD version's openAPIV3Schema
/// with int-or-string and embedded resources spelled out, apiVersion and kind from TypeMeta, metadata referring to
/// ObjectMeta, x-kubernetes-group-version-kind and x-kubernetes-selectable-fields. Definitions are named by the
/// reversed group ("com.example.stable.v1.CronTab"). The v2 form drops what swagger 2.0 and kubectl's v2
/// validation cannot take (value combinators, nullable, properties under preserve-unknown-fields, defaults), and a
/// root that preserves unknown fields is a bare object.
/// </summary>
public static class CustomResourceOpenApi
{
    private const string ApiVersionDescription = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
    private const string KindDescription = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
    private const string EmbeddedApiVersionDescription = "apiVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";
    private const string EmbeddedKindDescription = "kind is a string value representing the type of this object. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";
    private const string MetadataDescription = "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

    /// <summary>"stable.example.com", "v1", "CronTab" → "com.example.stable.v1.CronTab".</summary>
    public static string DefinitionName(string group, string version, string kind) =>
        string.Join('.', group.Split('.').Reverse()) + "." + version + "." + kind;

    public static string DefinitionName(ResourceDefinition resource) => DefinitionName(resource.Group, resource.Version, resource.Kind);

    /// <summary>The published schema of the resource's kind, with references under <paramref name="refPrefix"/>.</summary>
    public static JsonObject KindSchema(ResourceDefinition resource, bool v3, string refPrefix)
    {
        var source = resource.OpenApiV3Schema;
        JsonObject schema;
        if (source is null || (!v3 && source.GetBool("x-kubernetes-preserve-unknown-fields")))
        {
            // kubectl's v2 validation would refuse every field beside apiVersion, kind and metadata if they were listed.
            schema = new JsonObject { ["type"] = "object" };
        }
        else
        {
            schema = (JsonObject)source.DeepClone();
            Unfold(schema);
            if (!v3)
            {
                ToOpenApiV2(schema);
            }

            var properties = schema.GetOrAddObject("properties");
            properties["apiVersion"] = new JsonObject { ["description"] = ApiVersionDescription, ["type"] = "string" };
            properties["kind"] = new JsonObject { ["description"] = KindDescription, ["type"] = "string" };
            properties["metadata"] = MetadataRef(refPrefix);
            AddEmbeddedProperties(schema, v3, refPrefix);
        }

        schema["x-kubernetes-group-version-kind"] = Gvk(resource.Group, resource.Version, resource.Kind);
        if (resource.SelectableFields.Count > 0)
        {
            schema["x-kubernetes-selectable-fields"] = new JsonArray([.. resource.SelectableFields.Select(f => (JsonNode)new JsonObject { ["fieldPath"] = f })]);
        }

        return schema;
    }

    public static JsonArray Gvk(string group, string version, string kind) =>
        new((JsonNode)new JsonObject { ["group"] = group, ["kind"] = kind, ["version"] = version });

    private static JsonObject MetadataRef(string refPrefix) => new()
    {
        ["$ref"] = refPrefix + DefinitionNames.MetaPackage + ".ObjectMeta",
        ["description"] = MetadataDescription,
    };

    // Spells out the vendor extensions as kube's structural Unfold does: int-or-string becomes anyOf integer/string,
    // an embedded resource gets apiVersion, kind and metadata properties.
    private static void Unfold(JsonObject schema)
    {
        foreach (var child in Children(schema))
        {
            Unfold(child);
        }

        if (schema.GetBool("x-kubernetes-int-or-string") && !HasIntOrStringAlternatives(schema["anyOf"]) && !(schema["allOf"] as JsonArray ?? []).OfType<JsonObject>().Any(a => HasIntOrStringAlternatives(a["anyOf"])))
        {
            schema["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string" });
        }

        if (schema.GetBool("x-kubernetes-embedded-resource"))
        {
            var properties = schema.GetOrAddObject("properties");
            properties["apiVersion"] ??= new JsonObject { ["type"] = "string" };
            properties["kind"] ??= new JsonObject { ["type"] = "string" };
            properties["metadata"] ??= new JsonObject { ["type"] = "object" };
        }
    }

    private static bool HasIntOrStringAlternatives(JsonNode? anyOf) =>
        anyOf is JsonArray { Count: 2 } alternatives
        && alternatives[0] is JsonObject first && first.GetString("type") == "integer"
        && alternatives[1] is JsonObject second && second.GetString("type") == "string";

    // Embedded resources (below the root) document apiVersion and kind and refer to ObjectMeta, and require both.
    private static void AddEmbeddedProperties(JsonObject schema, bool v3, string refPrefix, bool root = true)
    {
        foreach (var child in Children(schema))
        {
            AddEmbeddedProperties(child, v3, refPrefix, root: false);
        }

        if (root || (!v3 && schema.GetBool("x-kubernetes-preserve-unknown-fields")) || !schema.GetBool("x-kubernetes-embedded-resource"))
        {
            return;
        }

        var properties = schema.GetOrAddObject("properties");
        properties["apiVersion"] = new JsonObject { ["description"] = EmbeddedApiVersionDescription, ["type"] = "string" };
        properties["kind"] = new JsonObject { ["description"] = EmbeddedKindDescription, ["type"] = "string" };
        properties["metadata"] = MetadataRef(refPrefix);
        var required = schema["required"] as JsonArray ?? [];
        foreach (var name in new[] { "kind", "apiVersion" })
        {
            if (!required.Any(r => r?.ToString() == name))
            {
                required.Add((JsonNode)name);
            }
        }

        schema["required"] = required;
    }

    // What swagger 2.0 and kubectl's v2 validation cannot take, removed as kube's ToStructuralOpenAPIV2 removes it.
    private static void ToOpenApiV2(JsonObject schema)
    {
        foreach (var name in new[] { "allOf", "anyOf", "oneOf", "not", "default" })
        {
            schema.Remove(name);
        }

        if (schema.GetBool("nullable"))
        {
            // Untyped values break in kubectl when items or properties are set.
            schema.Remove("type");
            schema.Remove("nullable");
            schema.Remove("items");
            schema.Remove("properties");
        }

        if (schema.GetBool("x-kubernetes-preserve-unknown-fields"))
        {
            schema.Remove("items");
            schema.Remove("properties");
        }

        if (schema.GetString("type") == "array" && schema["items"] is null)
        {
            schema.Remove("type");
        }

        if (schema["properties"] is JsonObject properties && schema["required"] is JsonArray required)
        {
            foreach (var nullable in properties.Where(p => p.Value is JsonObject o && o.GetBool("nullable")).Select(p => p.Key).ToList())
            {
                foreach (var entry in required.Where(r => r?.ToString() == nullable).ToList())
                {
                    required.Remove(entry);
                }
            }
        }

        if (schema["additionalProperties"] is JsonObject values && values.GetBool("nullable"))
        {
            schema.Remove("type");
        }

        foreach (var child in Children(schema))
        {
            ToOpenApiV2(child);
        }
    }

    private static IEnumerable<JsonObject> Children(JsonObject schema)
    {
        if (schema["properties"] is JsonObject properties)
        {
            foreach (var (_, child) in properties)
            {
                if (child is JsonObject o)
                {
                    yield return o;
                }
            }
        }

        if (schema["items"] is JsonObject items)
        {
            yield return items;
        }

        if (schema["additionalProperties"] is JsonObject values)
        {
            yield return values;
        }
    }
}
