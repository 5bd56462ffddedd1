using System.Text.Json.Nodes;
using Monokube.ApiServer.CustomResources;
using Monokube.ApiServer.Patching;
using Monokube.ApiServer.Schema;
using Monokube.ApiServer.ServerSideApply;

namespace Monokube.ApiServer.Tests.Unit;

/// <summary>The list and map types of a CRD's schema as server-side apply reads them: field sets and merges.</summary>
public sealed class CustomResourceApplyTests
{
    private static readonly SchemaNode Metadata = Registry.ResourceRegistry.CreateBuiltin().Find("", "v1", "configmaps")!.Schema!.Properties["metadata"];

    private static readonly SchemaNode Schema = CustomResourceSchema.From(JsonNode.Parse("""
        {"type":"object","properties":{"spec":{"type":"object","properties":{
          "ports":{"type":"array","x-kubernetes-list-type":"map","x-kubernetes-list-map-keys":["name","protocol"],
                   "items":{"type":"object","properties":{"name":{"type":"string"},"protocol":{"type":"string"},"port":{"type":"integer"},
                     "hosts":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}}}}},
          "tags":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}},
          "args":{"type":"array","items":{"type":"string"}},
          "selector":{"type":"object","x-kubernetes-map-type":"atomic","additionalProperties":{"type":"string"}},
          "byZone":{"type":"object","additionalProperties":{"type":"array","x-kubernetes-list-type":"set","items":{"type":"string"}}}}}}}
        """)!.AsObject(), Metadata)!;

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    private static JsonObject Fields(string json) => FieldPaths.Of(Obj(json), Schema, includeStatus: false).ToJson();

    // Property order is not part of either answer.
    private static void AssertSame(string expected, JsonNode actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), actual.ToJsonString());

    [Fact]
    public void Keyed_elements_are_owned_by_every_key_sets_by_value_and_atomic_values_whole()
    {
        AssertSame(
            """{"f:spec":{"f:ports":{"k:{\u0022name\u0022:\u0022http\u0022,\u0022protocol\u0022:\u0022TCP\u0022}":{".":{},"f:name":{},"f:protocol":{},"f:port":{},"f:hosts":{"v:\u0022a\u0022":{}}}},"f:tags":{"v:\u0022x\u0022":{}},"f:args":{},"f:selector":{},"f:byZone":{"f:z1":{"v:\u0022n\u0022":{}}}}}""",
            Fields("""{"spec":{"ports":[{"protocol":"TCP","name":"http","port":80,"hosts":["a"]}],"tags":["x"],"args":["x"],"selector":{"app":"a"},"byZone":{"z1":["n"]}}}"""));
    }

    [Fact]
    public void Merges_follow_the_schema_and_keep_what_the_patch_does_not_name()
    {
        var merged = StrategicMergePatch.Apply(
            Obj("""{"spec":{"ports":[{"name":"http","protocol":"TCP","port":80,"hosts":["a"]}],"tags":["x"],"args":["x"],"selector":{"app":"a"},"byZone":{"z1":["n"]}}}"""),
            Obj("""{"spec":{"ports":[{"name":"http","protocol":"UDP","port":53},{"name":"http","protocol":"TCP","hosts":["b"]}],"tags":["y"],"args":["y"],"selector":{"tier":"b"},"byZone":{"z1":["m"]}}}"""),
            Schema);
        AssertSame(
            """{"spec":{"ports":[{"name":"http","protocol":"TCP","port":80,"hosts":["a","b"]},{"name":"http","protocol":"UDP","port":53}],"tags":["x","y"],"args":["y"],"selector":{"tier":"b"},"byZone":{"z1":["n","m"]}}}""",
            merged);
    }

    [Fact]
    public void An_applied_element_without_a_key_or_with_duplicate_keys_is_no_object_of_the_type()
    {
        var missing = Assert.Throws<ApplyConfigurationException>(() => FieldPaths.Of(Obj("""{"spec":{"ports":[{"name":"a","protocol":"TCP"},{"name":"b"}]}}"""), Schema, false, strict: true));
        Assert.Equal(".spec.ports: element 1: associative list with keys has an element that omits key field \"protocol\" (and doesn't have default value)", missing.Message);
        var duplicate = Assert.Throws<ApplyConfigurationException>(() => FieldPaths.Of(Obj("""{"spec":{"ports":[{"name":"a","protocol":"TCP"},{"name":"a","protocol":"TCP"}]}}"""), Schema, false, strict: true));
        Assert.Equal(".spec.ports: duplicate entries for key [name=\"a\",protocol=\"TCP\"]", duplicate.Message);
        var nested = Assert.Throws<ApplyConfigurationException>(() => FieldPaths.Of(Obj("""{"spec":{"ports":[{"name":"a","protocol":"TCP","hosts":["h","h"]}]}}"""), Schema, false, strict: true));
        Assert.Equal(".spec.ports[name=\"a\",protocol=\"TCP\"].hosts: duplicate entries for key \"h\"", nested.Message);

        // A built-in list's merge key is not all of kube's keys (container ports: port and protocol), so it is not checked.
        var pod = Registry.ResourceRegistry.CreateBuiltin().Find("", "v1", "pods")!.Schema!;
        FieldPaths.Of(Obj("""{"spec":{"containers":[{"name":"dns","ports":[{"containerPort":53,"protocol":"UDP"},{"containerPort":53,"protocol":"TCP"}]}]}}"""), pod, false, strict: true);

        // What is stored is read leniently: an element without its key is left unowned.
        AssertSame("""{"f:spec":{"f:ports":{}}}""", Fields("""{"spec":{"ports":[{"name":"b"}]}}"""));
    }
}
