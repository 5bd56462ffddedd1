using System.Text.Json.Nodes;
using Monokube.ApiServer.Patching;
using Monokube.ApiServer.Schema;

namespace Monokube.ApiServer.Tests.Unit;

public sealed class PatchTests
{
    // Schemas come from the server's registry: the test project's k8s.Models types are the classic client's.
    private static readonly SchemaNode PodSchema = Registry.ResourceRegistry.CreateBuiltin().Find("", "v1", "pods")!.Schema!;
    private static readonly SchemaNode DeploymentSchema = Registry.ResourceRegistry.CreateBuiltin().Find("apps", "v1", "deployments")!.Schema!;

    private static JsonObject Obj(string json) => JsonNode.Parse(json)!.AsObject();

    private static string Smp(SchemaNode schema, string original, string patch) =>
        StrategicMergePatch.Apply(Obj(original), Obj(patch), schema).ToJsonString();

    [Fact]
    public void Containers_merge_by_name_and_keep_the_others()
    {
        var result = Smp(PodSchema,
            """{"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}]}}""",
            """{"spec":{"containers":[{"name":"b","image":"b:2"}]}}""");
        Assert.Equal("""{"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:2"}]}}""", result);
    }

    [Fact]
    public void Delete_directive_removes_a_keyed_element_and_null_removes_a_field()
    {
        var result = Smp(PodSchema,
            """{"metadata":{"labels":{"a":"1","b":"2"}},"spec":{"containers":[{"name":"a","image":"a:1"},{"name":"b","image":"b:1"}]}}""",
            """{"metadata":{"labels":{"b":null}},"spec":{"containers":[{"name":"a","$patch":"delete"}]}}""");
        Assert.Equal("""{"metadata":{"labels":{"a":"1"}},"spec":{"containers":[{"name":"b","image":"b:1"}]}}""", result);
    }

    [Fact]
    public void Lists_without_a_strategy_are_replaced()
    {
        var result = Smp(PodSchema,
            """{"spec":{"tolerations":[{"key":"a"},{"key":"b"}]}}""",
            """{"spec":{"tolerations":[{"key":"c"}]}}""");
        Assert.Equal("""{"spec":{"tolerations":[{"key":"c"}]}}""", result);
    }

    [Fact]
    public void Set_element_order_orders_the_merged_list()
    {
        var result = Smp(PodSchema,
            """{"spec":{"containers":[{"name":"a","image":"1"},{"name":"b","image":"1"}]}}""",
            """{"spec":{"$setElementOrder/containers":[{"name":"c"},{"name":"b"},{"name":"a"}],"containers":[{"name":"c","image":"1"}]}}""");
        Assert.Equal("""{"spec":{"containers":[{"name":"c","image":"1"},{"name":"b","image":"1"},{"name":"a","image":"1"}]}}""", result);
    }

    [Fact]
    public void Retain_keys_drops_the_fields_of_the_previous_strategy()
    {
        var result = Smp(DeploymentSchema,
            """{"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%"}}}}""",
            """{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}}""");
        Assert.Equal("""{"spec":{"strategy":{"type":"Recreate"}}}""", result);
    }

    [Fact]
    public void Primitive_merge_lists_union_and_delete_from_primitive_list_removes()
    {
        var result = Smp(PodSchema,
            """{"metadata":{"finalizers":["a","b"]}}""",
            """{"metadata":{"finalizers":["c"],"$deleteFromPrimitiveList/finalizers":["a"]}}""");
        Assert.Equal("""{"metadata":{"finalizers":["b","c"]}}""", result);
    }

    [Fact]
    public void Replace_directive_replaces_a_map()
    {
        var result = Smp(PodSchema, """{"metadata":{"labels":{"a":"1"}}}""", """{"metadata":{"labels":{"$patch":"replace","b":"2"}}}""");
        Assert.Equal("""{"metadata":{"labels":{"b":"2"}}}""", result);
    }

    [Fact]
    public void A_merge_list_element_without_its_key_is_refused()
    {
        Assert.Throws<PatchException>(() => Smp(PodSchema, """{"spec":{"containers":[]}}""", """{"spec":{"containers":[{"image":"x"}]}}"""));
    }

    [Fact]
    public void Json_merge_patch_follows_rfc_7386()
    {
        var result = JsonMergePatch.Apply(Obj("""{"a":"b","c":{"d":"e","f":"g"}}"""), Obj("""{"a":"z","c":{"f":null}}"""));
        Assert.Equal("""{"a":"z","c":{"d":"e"}}""", result!.ToJsonString());
    }

    [Fact]
    public void Json_patch_applies_every_operation_and_test_failures_stop_it()
    {
        var doc = Obj("""{"a":{"b":1},"list":[1,2,3]}""");
        var patch = JsonNode.Parse("""
          [
          {"op":"add","path":"/a/c","value":2},
          {"op":"replace","path":"/a/b","value":5},
          {"op":"remove","path":"/list/0"},
          {"op":"add","path":"/list/-","value":4},
          {"op":"copy","from":"/a/c","path":"/d"},
          {"op":"move","from":"/d","path":"/e"},
          {"op":"test","path":"/e","value":2},
          {"op":"add","path":"/x~1y","value":true}
          ]
          """);
        Assert.Equal("""{"a":{"b":5,"c":2},"list":[2,3,4],"e":2,"x/y":true}""", JsonPatch.Apply(doc, patch)!.ToJsonString());

        Assert.Throws<PatchException>(() => JsonPatch.Apply(doc, JsonNode.Parse("""[{"op":"test","path":"/a/b","value":9}]""")));
        Assert.Throws<PatchException>(() => JsonPatch.Apply(doc, JsonNode.Parse("""[{"op":"remove","path":"/missing"}]""")));
        Assert.True(Assert.Throws<PatchException>(() => JsonPatch.Apply(doc, JsonNode.Parse("""{"op":"add"}"""))).Malformed);
    }
}
