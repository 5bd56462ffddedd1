using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>Server-side apply of custom resources by their schema's list and map types, and /scale at the CRD's paths.</summary>
public abstract partial class CustomResourceTests
{
    private static string ListTypesVersion => """
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    properties:
                      ports:
                        type: array
                        x-kubernetes-list-type: map
                        x-kubernetes-list-map-keys: [name, protocol]
                        items: {type: object, required: [name, protocol], properties: {name: {type: string}, protocol: {type: string}, port: {type: integer}}}
                      tags: {type: array, x-kubernetes-list-type: set, items: {type: string}}
                      args: {type: array, items: {type: string}}
                      selector: {type: object, x-kubernetes-map-type: atomic, additionalProperties: {type: string}}
        """;

    [Fact]
    public async Task Server_side_apply_merges_map_and_set_lists_by_the_schema_and_keeps_atomic_ones_whole()
    {
        var group = "g" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        var ns = server.NewNamespace();
        await server.KubectlOkAsync(null, "create", "namespace", ns);
        await ServeCrdAsync(group, CrdWith(group, "Namespaced", ListTypesVersion));
        string Widget(string spec) => Write("w", $"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: w}}\nspec: {spec}\n");
        Task<(int ExitCode, string Stdout, string Stderr)> ApplyAsync(string manager, string spec) =>
            server.KubectlAsync(null, "apply", "--server-side", "--field-manager=" + manager, "-n", ns, "-f", Widget(spec));
        async Task<JsonObject> SpecAsync() => JsonNode.Parse(await server.KubectlOkAsync(null, "get", "-n", ns, "widgets." + group, "w", "-o", "json"))!["spec"]!.AsObject();

        Assert.Equal(0, (await ApplyAsync("a", "{ports: [{name: http, protocol: TCP, port: 80}], tags: [alpha], args: [one], selector: {app: a}}")).ExitCode);

        // Elements with other keys (name and protocol together) and other set values are b's, beside a's.
        var (code, _, stderr) = await ApplyAsync("b", "{ports: [{name: http, protocol: UDP, port: 53}], tags: [beta]}");
        Assert.True(code == 0, stderr);
        var spec = await SpecAsync();
        Assert.Equal(["TCP:80", "UDP:53"], spec["ports"]!.AsArray().Select(p => $"{p!["protocol"]}:{p["port"]}"));
        Assert.Equal(["alpha", "beta"], spec["tags"]!.AsArray().Select(t => t!.ToString()));
        var managed = await server.KubectlOkAsync(null, "get", "-n", ns, "widgets." + group, "w", "-o", "jsonpath={.metadata.managedFields[?(@.manager==\"b\")].fieldsV1}");
        Assert.Contains("\"k:{\\\"name\\\":\\\"http\\\",\\\"protocol\\\":\\\"UDP\\\"}\"", managed, StringComparison.Ordinal);
        Assert.Contains("\"v:\\\"beta\\\"\"", managed, StringComparison.Ordinal);

        // An atomic list and an atomic map are owned whole: another value conflicts with their owner.
        (code, _, stderr) = await ApplyAsync("b", "{args: [two]}");
        Assert.NotEqual(0, code);
        Assert.Contains("conflict with \"a\"", stderr, StringComparison.Ordinal);
        Assert.Contains(".spec.args", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await ApplyAsync("b", "{selector: {tier: b}}");
        Assert.NotEqual(0, code);
        Assert.Contains(".spec.selector", stderr, StringComparison.Ordinal);

        // a applies again without its tag and with another port: its tag goes, b's stay; forced, b takes the map whole.
        Assert.Equal(0, (await ApplyAsync("a", "{ports: [{name: http, protocol: TCP, port: 8080}], args: [one], selector: {app: a}}")).ExitCode);
        spec = await SpecAsync();
        Assert.Equal(["TCP:8080", "UDP:53"], spec["ports"]!.AsArray().Select(p => $"{p!["protocol"]}:{p["port"]}"));
        Assert.Equal(["beta"], spec["tags"]!.AsArray().Select(t => t!.ToString()));
        Assert.Equal(0, (await server.KubectlAsync(null, "apply", "--server-side", "--force-conflicts", "--field-manager=b", "-n", ns, "-f", Widget("{ports: [{name: http, protocol: UDP, port: 53}], tags: [beta], selector: {tier: b}}"))).ExitCode);
        Assert.Equal("""{"tier":"b"}""", (await SpecAsync())["selector"]!.ToJsonString());

        // An element without one of its keys is no object of the type: refused as kube-apiserver refuses it.
        (code, _, stderr) = await ApplyAsync("c", "{ports: [{name: dns, port: 1}]}");
        Assert.NotEqual(0, code);
        Assert.Contains($"failed to create typed patch object ({ns}/w; {group}/v1, Kind=Widget): .spec.ports: element 0: associative list with keys has an element that omits key field \"protocol\"", stderr, StringComparison.Ordinal);
        (code, _, stderr) = await ApplyAsync("c", "{tags: [gamma, gamma]}");
        Assert.NotEqual(0, code);
        Assert.Contains(".spec.tags: duplicate entries for key", stderr, StringComparison.Ordinal);
        Assert.Equal(["beta"], (await SpecAsync())["tags"]!.AsArray().Select(t => t!.ToString()));
        await server.KubectlOkAsync(null, "delete", "crd", "widgets." + group, "--timeout=60s");
    }

    [Fact]
    public async Task Scale_reads_and_writes_the_paths_the_crd_names()
    {
        var group = "g" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        var ns = server.NewNamespace();
        await server.KubectlOkAsync(null, "create", "namespace", ns);
        await ServeCrdAsync(group, CrdWith(group, "Namespaced", """
              - name: v1
                served: true
                storage: true
                schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
                subresources:
                  status: {}
                  scale: {specReplicasPath: .spec.size, statusReplicasPath: .status.ready, labelSelectorPath: .status.selector}
            """));
        await server.KubectlOkAsync(null, "apply", "-n", ns, "-f", Write("w", $"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: w}}\nspec: {{size: 2}}\n"));
        await server.KubectlOkAsync(null, "patch", "-n", ns, "widget." + group, "w", "--subresource=status", "--type=merge", "-p", """{"status":{"ready":1,"selector":"app=w"}}""");

        var scale = JsonNode.Parse(await server.KubectlOkAsync(null, "get", "--raw", $"/apis/{group}/v1/namespaces/{ns}/widgets/w/scale"))!;
        Assert.Equal("Scale", scale["kind"]!.ToString());
        Assert.Equal(2, scale["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(1, scale["status"]!["replicas"]!.GetValue<int>());
        Assert.Equal("app=w", scale["status"]!["selector"]!.ToString());

        await server.KubectlOkAsync(null, "scale", "-n", ns, "widget." + group, "w", "--replicas=5");
        var w = JsonNode.Parse(await server.KubectlOkAsync(null, "get", "-n", ns, "widget." + group, "w", "-o", "json"))!;
        Assert.Equal(5, w["spec"]!["size"]!.GetValue<int>());
        Assert.Null(w["spec"]!["replicas"]);

        // Paths outside .spec and .status are refused when the CRD is written.
        var other = "g" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        var (code, _, stderr) = await server.KubectlAsync(null, "apply", "-f", Write("crd", CrdWith(other, "Namespaced", """
              - name: v1
                served: true
                storage: true
                schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
                subresources:
                  scale: {specReplicasPath: .size, statusReplicasPath: .status.ready, labelSelectorPath: .metadata.labels}
            """)));
        Assert.NotEqual(0, code);
        Assert.Contains("spec.versions[0].subresources.scale.specReplicasPath: Invalid value: \".size\": should be a json path under .spec", stderr, StringComparison.Ordinal);
        Assert.Contains("spec.versions[0].subresources.scale.labelSelectorPath: Invalid value: \".metadata.labels\": should be a json path under either .spec or .status", stderr, StringComparison.Ordinal);
        await server.KubectlOkAsync(null, "delete", "crd", "widgets." + group, "--timeout=60s");
    }
}
