using System.Text.Json.Nodes;
using Monokube.ApiServer.OpenApi;
using Monokube.ApiServer.Registry;

namespace Monokube.ApiServer.Tests.Unit;

/// <summary>Invariants kubectl relies on in the OpenAPI documents (see kubectl's validation and explain code).</summary>
public sealed class OpenApiDocumentTests
{
    private static readonly ResourceRegistry Registry = ResourceRegistry.CreateBuiltin();
    private static readonly DefinitionNames Names = new(Registry);

    public static TheoryData<string, string> GroupVersions()
    {
        var data = new TheoryData<string, string>();
        foreach (var group in Registry.Groups)
        {
            foreach (var version in group.Versions)
            {
                data.Add(group.Name, version);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(GroupVersions))]
    public void Every_v3_document_is_closed_and_every_patch_declares_field_validation(string group, string version)
    {
        var doc = JsonNode.Parse(OpenApiDocuments.V3(Registry, Names, group, version))!.AsObject();
        var schemas = doc["components"]!["schemas"]!.AsObject();
        foreach (var reference in Refs(doc))
        {
            Assert.StartsWith("#/components/schemas/", reference, StringComparison.Ordinal);
            Assert.True(schemas.ContainsKey(reference["#/components/schemas/".Length..]), $"dangling {reference} in {group}/{version}");
        }

        foreach (var resource in Registry.InGroupVersion(group, version).Where(r => r.Supports("patch")))
        {
            var patches = doc["paths"]!.AsObject()
                .Select(p => p.Value!["patch"])
                .OfType<JsonObject>()
                .Where(op => op["x-kubernetes-group-version-kind"]?["kind"]?.ToString() == resource.Kind)
                .ToList();
            Assert.NotEmpty(patches);
            Assert.All(patches, op => Assert.Contains(op["parameters"]!.AsArray(), p => p!["name"]!.ToString() == "fieldValidation" && p["in"]!.ToString() == "query"));
        }
    }

    [Fact]
    public void Kinds_carry_their_gvk_and_patch_metadata()
    {
        var doc = JsonNode.Parse(OpenApiDocuments.V3(Registry, Names, "", "v1"))!.AsObject();
        var schemas = doc["components"]!["schemas"]!.AsObject();
        var pod = schemas["io.k8s.api.core.v1.Pod"]!;
        Assert.Equal("""[{"group":"","kind":"Pod","version":"v1"}]""", pod["x-kubernetes-group-version-kind"]!.ToJsonString());
        var containers = schemas["io.k8s.api.core.v1.PodSpec"]!["properties"]!["containers"]!;
        Assert.Equal("name", containers["x-kubernetes-patch-merge-key"]!.ToString());
        Assert.Equal("merge", containers["x-kubernetes-patch-strategy"]!.ToString());
        Assert.False(string.IsNullOrEmpty(containers["description"]?.ToString()));
        Assert.True(schemas.ContainsKey("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
    }

    [Fact]
    public void The_v2_document_is_closed_and_its_protobuf_form_matches_gnostics_encoding()
    {
        var json = OpenApiDocuments.V2(Registry, Names);
        var doc = JsonNode.Parse(json)!.AsObject();
        var definitions = doc["definitions"]!.AsObject();
        foreach (var reference in Refs(doc))
        {
            Assert.True(definitions.ContainsKey(reference["#/definitions/".Length..]), "dangling " + reference);
        }

        // Test vectors of gnostic's openapi_v2 messages (Go proto.Marshal).
        var mini = """{"swagger":"2.0","info":{"title":"K","version":"v1"},"definitions":{"A":{"type":"string"}}}"""u8.ToArray();
        var bytes = OpenApiV2Protobuf.Encode(mini);
        Assert.Equal("0a03322e30" + "1207" + "0a014b12027631" + "4a" + "12" + "0a10" + "0a0141" + "120b" + "b201080a06737472696e67", Convert.ToHexString(bytes).ToLowerInvariant());
    }

    [Fact]
    public void A_custom_resource_document_is_closed_in_v3_and_v2_and_encodes_as_protobuf()
    {
        var registry = ResourceRegistry.CreateBuiltin();
        var schema = JsonNode.Parse("""
            {"type":"object","properties":{"spec":{"type":"object","required":["size"],"properties":{
              "size":{"type":"integer","default":3,"nullable":true},
              "port":{"x-kubernetes-int-or-string":true},
              "pod":{"type":"object","x-kubernetes-embedded-resource":true,"properties":{"spec":{"type":"object"}}},
              "choice":{"type":"string","oneOf":[{"pattern":"^a"},{"pattern":"^b"}]}}}}}
            """)!.AsObject();
        registry.ReplaceGroup("stable.example.com", [new ResourceDefinition
        {
            Group = "stable.example.com", Version = "v1", Kind = "CronTab", Plural = "crontabs", Namespaced = true,
            IsBuiltinGroup = false, OpenApiV3Schema = schema, SelectableFields = ["spec.port"],
            Subresources = [new SubresourceDefinition("status", "stable.example.com", "v1", "CronTab", ["get", "patch", "update"])],
        }]);
        var names = new DefinitionNames(registry);

        var v3 = JsonNode.Parse(OpenApiDocuments.V3(registry, names, "stable.example.com", "v1"))!.AsObject();
        var schemas = v3["components"]!["schemas"]!.AsObject();
        Assert.All(Refs(v3), r => Assert.True(schemas.ContainsKey(r["#/components/schemas/".Length..]), "dangling " + r));
        var kind = schemas["com.example.stable.v1.CronTab"]!;
        var pod = kind["properties"]!["spec"]!["properties"]!["pod"]!;
        Assert.Equal(["kind", "apiVersion"], pod["required"]!.AsArray().Select(r => r!.ToString()));
        Assert.Equal("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", pod["properties"]!["metadata"]!["$ref"]!.ToString());
        Assert.Equal(3, kind["properties"]!["spec"]!["properties"]!["size"]!["default"]!.GetValue<int>());
        Assert.Equal("""[{"fieldPath":"spec.port"}]""", kind["x-kubernetes-selectable-fields"]!.ToJsonString());
        Assert.Equal("""[{"group":"stable.example.com","kind":"CronTabList","version":"v1"}]""", schemas["com.example.stable.v1.CronTabList"]!["x-kubernetes-group-version-kind"]!.ToJsonString());
        Assert.NotNull(v3["paths"]!["/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}/status"]);
        Assert.Null(schema["properties"]!["spec"]!["properties"]!["port"]!["anyOf"]);

        var json = OpenApiDocuments.V2(registry, names);
        var v2 = JsonNode.Parse(json)!.AsObject();
        var definitions = v2["definitions"]!.AsObject();
        Assert.All(Refs(v2), r => Assert.True(definitions.ContainsKey(r["#/definitions/".Length..]), "dangling " + r));
        var spec = definitions["com.example.stable.v1.CronTab"]!["properties"]!["spec"]!;

        // Swagger 2.0 as kube publishes it: no combinators, no defaults, a nullable field untyped and not required.
        Assert.Null(spec["properties"]!["choice"]!["oneOf"]);
        Assert.Null(spec["properties"]!["port"]!["anyOf"]);
        Assert.Null(spec["properties"]!["size"]!["default"]);
        Assert.Null(spec["properties"]!["size"]!["type"]);
        Assert.Empty(spec["required"]!.AsArray());
        Assert.NotEmpty(OpenApiV2Protobuf.Encode(json));
    }

    [Fact]
    public void A_custom_resource_that_preserves_unknown_fields_at_its_root_is_a_bare_object_in_v2()
    {
        var registry = ResourceRegistry.CreateBuiltin();
        registry.ReplaceGroup("stable.example.com", [new ResourceDefinition
        {
            Group = "stable.example.com", Version = "v1", Kind = "CronTab", Plural = "crontabs", Namespaced = false, IsBuiltinGroup = false,
            OpenApiV3Schema = JsonNode.Parse("""{"type":"object","x-kubernetes-preserve-unknown-fields":true,"properties":{"spec":{"type":"object"}}}""")!.AsObject(),
        }]);
        var names = new DefinitionNames(registry);
        var v2 = JsonNode.Parse(OpenApiDocuments.V2(registry, names))!;
        Assert.Equal("""{"type":"object","x-kubernetes-group-version-kind":[{"group":"stable.example.com","kind":"CronTab","version":"v1"}]}""", v2["definitions"]!["com.example.stable.v1.CronTab"]!.ToJsonString());
        var v3 = JsonNode.Parse(OpenApiDocuments.V3(registry, names, "stable.example.com", "v1"))!;
        Assert.NotNull(v3["components"]!["schemas"]!["com.example.stable.v1.CronTab"]!["properties"]!["metadata"]);
    }

    private static IEnumerable<string> Refs(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (key == "$ref" && value is JsonValue)
                    {
                        yield return value.ToString();
                    }

                    // The names under "properties" are field names (JSONSchemaProps has a field named "$ref").
                    var children = key == "properties" && value is JsonObject properties ? properties.Select(p => p.Value) : [value];
                    foreach (var child in children)
                    {
                        foreach (var r in Refs(child))
                        {
                            yield return r;
                        }
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    foreach (var r in Refs(item))
                    {
                        yield return r;
                    }
                }

                break;
        }
    }
}
