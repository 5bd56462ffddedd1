using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.CustomResources;

namespace Monokube.ApiServer.Tests.Unit;

public sealed class CrdStructuralSchemaTests
{
    private static List<string> Check(string schema)
    {
        var causes = new List<StatusCause>();
        CrdStructuralSchema.Check(JsonNode.Parse(schema)!.AsObject(), "s", causes);
        return [.. causes.Select(c => $"{c.Field}: {c.Message}")];
    }

    [Fact]
    public void A_structural_schema_passes_with_int_or_string_embedded_resources_and_value_validations()
    {
        Assert.Empty(Check("""
            {"type":"object","properties":{
              "apiVersion":{"type":"string"},"kind":{"type":"string"},
              "metadata":{"type":"object","properties":{"name":{"type":"string","maxLength":20}}},
              "spec":{"type":"object","properties":{
                "port":{"x-kubernetes-int-or-string":true,"anyOf":[{"type":"integer"},{"type":"string"}]},
                "size":{"x-kubernetes-int-or-string":true,"allOf":[{"anyOf":[{"type":"integer"},{"type":"string"}]},{"pattern":"^[0-9]+%?$"}]},
                "raw":{"x-kubernetes-preserve-unknown-fields":true},
                "template":{"type":"object","x-kubernetes-embedded-resource":true,"x-kubernetes-preserve-unknown-fields":true},
                "mode":{"type":"string","oneOf":[{"enum":["a"]},{"enum":["b"]}],"not":{"enum":["c"]}},
                "tags":{"type":"array","items":{"type":"string"}},
                "labels":{"type":"object","additionalProperties":{"type":"string"}}}}}}
            """));
    }

    [Fact]
    public void Missing_types_items_and_root_rules_are_reported_in_kubes_words()
    {
        var causes = Check("""
            {"additionalProperties":{"type":"string"},"properties":{
              "kind":{"type":"integer"},
              "metadata":{"type":"object","properties":{"labels":{"type":"object"}}},
              "spec":{"type":"object","properties":{
                "untyped":{"description":"no type"},
                "list":{"type":"array"},
                "items":{"type":"array","items":{"minLength":1}},
                "both":{"x-kubernetes-int-or-string":true,"x-kubernetes-preserve-unknown-fields":true},
                "pod":{"type":"string","x-kubernetes-embedded-resource":true},
                "bare":{"type":"object","x-kubernetes-embedded-resource":true}}}}}
            """);

        const string p = "s.properties[spec].properties";
        Assert.Equal(
        [
            "s.additionalProperties: Forbidden: must not be used at the root",
            "s.properties[kind].type: Invalid value: \"integer\": must be string",
            "s.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified",
            $"{p}[bare].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
            $"{p}[both].x-kubernetes-preserve-unknown-fields: Invalid value: true: must be false if x-kubernetes-int-or-string is true",
            $"{p}[items].items.type: Required value: must not be empty for specified array items",
            $"{p}[list].items: Required value: must be specified",
            $"{p}[pod].properties: Required value: must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields",
            $"{p}[pod].type: Invalid value: \"string\": must be object if x-kubernetes-embedded-resource is true",
            $"{p}[untyped].type: Required value: must not be empty for specified object fields",
            "s.type: Required value: must not be empty at the root",
        ], causes, StringComparer.Ordinal);
    }

    [Fact]
    public void Value_validations_may_only_constrain_values()
    {
        var causes = Check("""
            {"type":"object","properties":{"spec":{"type":"object",
              "anyOf":[{"type":"object","description":"d","properties":{"metadata":{"maxProperties":1},"x":{"default":1,"nullable":true}}}],
              "allOf":[{"x-kubernetes-list-type":"set","items":{"title":"t","additionalProperties":{"type":"string"}}}],
              "not":{"x-kubernetes-preserve-unknown-fields":true,"oneOf":[{"x-kubernetes-int-or-string":true}]}}}}
            """);

        const string p = "s.properties[spec]";
        Assert.Equal(
        [
            $"{p}.allOf[0].items.additionalProperties: Forbidden: must be undefined to be structural",
            $"{p}.allOf[0].items.title: Forbidden: must be empty to be structural",
            $"{p}.allOf[0].x-kubernetes-list-type: Forbidden: must be undefined to be structural",
            $"{p}.anyOf[0].description: Forbidden: must be empty to be structural",
            $"{p}.anyOf[0].properties[metadata]: Forbidden: must not be specified in a nested context",
            $"{p}.anyOf[0].properties[x].default: Forbidden: must be undefined to be structural",
            $"{p}.anyOf[0].properties[x].nullable: Forbidden: must be false to be structural",
            $"{p}.anyOf[0].type: Forbidden: must be empty to be structural",
            $"{p}.not.oneOf[0].x-kubernetes-int-or-string: Forbidden: must be false to be structural",
            $"{p}.not.x-kubernetes-preserve-unknown-fields: Forbidden: must be false to be structural",
        ], causes, StringComparer.Ordinal);
    }
}
