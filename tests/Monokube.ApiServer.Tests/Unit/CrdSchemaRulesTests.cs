using System.Text.Json.Nodes;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.CustomResources;

namespace Monokube.ApiServer.Tests.Unit;

public sealed class CrdSchemaRulesTests
{
    private static List<StatusCause> Check(string schema)
    {
        var causes = new List<StatusCause>();
        CrdSchemaRules.Check(JsonNode.Parse(schema)!.AsObject(), "s", causes);
        return causes;
    }

    private static string Describe(StatusCause c) => $"{c.Field}: {c.Message}";

    [Fact]
    public void A_sound_schema_with_list_and_map_types_passes()
    {
        Assert.Empty(Check("""
            {"type":"object","properties":{
              "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["port","protocol"],
                "items":{"type":"object","required":["port"],"properties":{"port":{"type":"integer"},"protocol":{"type":"string","default":"TCP"}}}},
              "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
              "labels":{"type":"object","x-kubernetes-map-type":"granular","additionalProperties":{"type":"string"}}}}
            """));
    }

    [Fact]
    public void Each_rule_is_reported_in_kubes_words_at_its_path_however_deep()
    {
        var causes = Check("""
            {"type":"object","properties":{"spec":{"type":"object","properties":{
              "a":{"type":"array","uniqueItems":true,"items":{"type":"string"}},
              "b":{"type":"object","x-kubernetes-preserve-unknown-fields":false},
              "c":{"type":"string","x-kubernetes-list-type":"bag"},
              "d":{"x-kubernetes-map-type":"atomic"},
              "e":{"type":"array","x-kubernetes-list-map-keys":["k"],"items":{"type":"object"}},
              "f":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["k","k","missing"],
                "items":{"type":"object","properties":{"k":{"type":"object"}}}},
              "g":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["k"],"items":{"type":"string"}},
              "h":{"anyOf":[{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["k"]}]},
              "i":{"type":"string","x-kubernetes-validations":[{"rule":"self.size() < 10"}]},
              "j":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name","zone"],
                "items":{"type":"object","required":["name"],"properties":{"name":{"type":"string","nullable":true},"zone":{"type":"string"}}}}}}}}
            """).Select(Describe).ToList();

        const string p = "s.properties[spec].properties";
        Assert.Contains($"{p}[a].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic", causes);
        Assert.Contains($"{p}[b].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined", causes);
        Assert.Contains($"{p}[c].type: Invalid value: \"string\": must be array if x-kubernetes-list-type is specified", causes);
        Assert.Contains($"{p}[c].x-kubernetes-list-type: Unsupported value: \"bag\": supported values: \"atomic\", \"set\", \"map\"", causes);
        Assert.Contains($"{p}[d].type: Required value: must be object if x-kubernetes-map-type is specified", causes);
        Assert.Contains($"{p}[e].x-kubernetes-list-type: Required value: must be map if x-kubernetes-list-map-keys is non-empty", causes);
        Assert.Contains($"{p}[f].items.properties[k].type: Invalid value: \"object\": must be a scalar type if parent array's x-kubernetes-list-type is map", causes);
        Assert.Contains(causes, c => c.StartsWith($"{p}[f].x-kubernetes-list-map-keys: Invalid value:", StringComparison.Ordinal) && c.EndsWith("entries must all be names of item properties", StringComparison.Ordinal));
        Assert.Contains(causes, c => c.StartsWith($"{p}[f].x-kubernetes-list-map-keys: Invalid value:", StringComparison.Ordinal) && c.EndsWith("must not contain duplicate entries", StringComparison.Ordinal));
        Assert.Contains($"{p}[g].items.type: Invalid value: \"string\": must be object if parent array's x-kubernetes-list-type is map", causes);
        Assert.Contains($"{p}[h].anyOf[0].items: Required value: must have a schema if x-kubernetes-list-type is map", causes);
        Assert.Contains($"{p}[j].items.properties[zone].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property", causes);
        Assert.Contains($"{p}[j].items.properties[name].nullable: Forbidden: this property is in x-kubernetes-list-map-keys, so it cannot be nullable", causes);
        Assert.DoesNotContain(causes, c => c.StartsWith($"{p}[j].items.properties[name].default", StringComparison.Ordinal));
        Assert.Contains($"{p}[i].x-kubernetes-validations: Forbidden: x-kubernetes-validations (CEL) rules are not supported by monokube yet; remove them to serve this CRD", causes);
    }
}
