using System.Text.Json.Nodes;
using Monokube.ApiServer.Discovery;
using Monokube.ApiServer.Handlers;
using Monokube.ApiServer.Serialization;
using Monokube.ApiServer.Tables;

namespace Monokube.ApiServer.Tests.Unit;

public sealed class FormatTests
{
    [Theory]
    [InlineData(5, "5s")]
    [InlineData(119, "119s")]
    [InlineData(125, "2m5s")]
    [InlineData(600, "10m")]
    [InlineData(3 * 3600 + 120, "3h2m")]
    [InlineData(30 * 3600, "30h")]
    [InlineData(3 * 86400 + 3600, "3d1h")]
    [InlineData(400L * 86400, "400d")]
    [InlineData(3L * 365 * 86400 + 86400 * 10, "3y10d")]
    public void Ages_print_as_kubectl_prints_them(long seconds, string expected)
    {
        Assert.Equal(expected, HumanDuration.Format(TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public void Continue_tokens_round_trip_and_garbage_is_refused()
    {
        var token = ContinueToken.Encode(42, "default/x\0");
        Assert.True(ContinueToken.TryDecode(token, out var rv, out var start));
        Assert.Equal((42L, "default/x\0"), (rv, start));
        Assert.False(ContinueToken.TryDecode("not-a-token", out _, out _));
        Assert.False(ContinueToken.TryDecode(ContinueToken.Encode(1, "/escape"), out _, out _));
    }

    [Fact]
    public void Yaml_bodies_use_the_core_schema_and_expand_aliases_within_bounds()
    {
        var node = YamlBodyParser.Parse("""
            a: 1
            b: "1"
            c: true
            d: ~
            e: 1.5
            f: hello
            g: &anchor {x: 1}
            h: *anchor
            """)!.AsObject();
        Assert.Equal("""{"a":1,"b":"1","c":true,"d":null,"e":1.5,"f":"hello","g":{"x":1},"h":{"x":1}}""", node.ToJsonString());

        var bomb = "a: &a [x,x,x,x,x,x,x,x,x,x]\n" + string.Join("\n", Enumerable.Range(0, 8).Select(i => $"{(char)('b' + i)}: &{(char)('b' + i)} [{string.Join(",", Enumerable.Repeat("*" + (char)('a' + i), 10))}]"));
        Assert.Throws<YamlDotNet.Core.YamlException>(() => YamlBodyParser.Parse(bomb));
    }

    [Fact]
    public void Deep_json_is_refused_instead_of_overflowing_the_stack()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => JsonBodyParser.Parse(System.Text.Encoding.UTF8.GetBytes(deep)));
    }

    [Fact]
    public void Duplicate_fields_are_reported_and_the_last_wins()
    {
        var duplicates = new List<string>();
        var node = JsonBodyParser.Parse("""{"a":1,"b":{"c":1,"c":2},"a":3}"""u8, duplicates)!;
        Assert.Equal(["b.c", "a"], duplicates);
        Assert.Equal("""{"b":{"c":2},"a":3}""", node.ToJsonString());
    }

    [Fact]
    public void A_duplicate_inside_lists_is_named_by_its_path()
    {
        var duplicates = new List<string>();
        var node = JsonBodyParser.Parse("""{"spec":{"containers":[{"name":"a"},{"name":"b","ports":[[],{"p":1,"p":2}],"name":"c"}]}}"""u8, duplicates)!;
        Assert.Equal(["spec.containers[1].ports[1].p", "spec.containers[1].name"], duplicates);
        Assert.Equal("""{"spec":{"containers":[{"name":"a"},{"ports":[[],{"p":2}],"name":"c"}]}}""", node.ToJsonString());

        var top = new List<string>();
        JsonBodyParser.Parse("""[{"x":1,"x":2}]"""u8, top);
        Assert.Equal(["[0].x"], top);
    }

    [Theory]
    [InlineData("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", "v2")]
    [InlineData("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json", "v2beta1")]
    [InlineData("application/json, */*", null)]
    [InlineData("", null)]
    [InlineData("application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json", null)]
    public void Aggregated_discovery_is_chosen_by_the_first_acceptable_clause(string accept, string? expected)
    {
        Assert.Equal(expected, DiscoveryHandler.AggregatedVersion(accept));
    }

    [Fact]
    public void Table_is_chosen_from_kubectls_accept_header()
    {
        var format = OutputNegotiation.Negotiate("application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json", isList: true);
        Assert.Equal((OutputKind.Table, "v1"), (format.Kind, format.MetaVersion));
        Assert.Equal(OutputKind.Json, OutputNegotiation.Negotiate("application/vnd.kubernetes.protobuf, application/json", false).Kind);
        Assert.Throws<Api.ApiException>(() => OutputNegotiation.Negotiate("application/vnd.kubernetes.protobuf", false));
    }

    [Fact]
    public void Pod_status_follows_kubectls_rules()
    {
        var pod = JsonNode.Parse("""
            {"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"},{"name":"b"}]},
             "status":{"phase":"Running","containerStatuses":[
               {"name":"a","ready":true,"restartCount":1,"state":{"running":{}}},
               {"name":"b","ready":false,"restartCount":2,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}
            """)!.AsObject();
        var (reason, restarts, _) = PodColumns.Status(pod);
        Assert.Equal(("CrashLoopBackOff", 3L), (reason, restarts));
    }
}
