using System.Text;
using System.Text.Json.Nodes;
using Monokube.TestSupport;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>Custom resources with kubectl: a CRD is served once Established, through every verb, until it is deleted.</summary>
public abstract partial class CustomResourceTests(ApiServerFixture server)
{
    public static TheoryData<int> Versions => [27, 33];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(Path.GetDirectoryName(server.Kubeconfig)!, name + "-" + Guid.NewGuid().ToString("N")[..6] + ".yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static string Crd(string group, string scope = "Namespaced", string? versions = null) => CrdWith(group, scope, versions ?? """
          - name: v1
            served: true
            storage: true
            schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
            subresources: {status: {}}
        """);

    // Each test's CRD has its own group and short name, so tests sharing a server never make kubectl's names ambiguous.
    private static string CrdWith(string group, string scope, string versions) => $"""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {"{"}name: widgets.{group}{"}"}
        spec:
          group: {group}
          scope: {scope}
          names: {"{"}plural: widgets, singular: widget, kind: Widget, shortNames: [{ShortName(group)}], categories: [all]{"}"}
          versions:
        {versions}
        """;

    // Creates the CRD and waits until it is Established and its widgets are served.
    private async Task ServeCrdAsync(string group, string crd)
    {
        await server.KubectlOkAsync(null, "apply", "-f", Write("crd", crd));
        await server.KubectlOkAsync(null, "wait", "--for=condition=Established", "crd/widgets." + group, "--timeout=30s");
        await Eventually.WaitAsync(async () => (await server.KubectlAsync(null, "get", "widgets." + group)).ExitCode == 0, TimeSpan.FromSeconds(30), "widgets to be served");
    }

    private static string ShortName(string group) => "wd" + new string([.. group.Where(char.IsAsciiLetterOrDigit).Take(9)]);

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_crd_is_served_once_established_through_every_verb_and_removed_with_its_objects(int minor)
    {
        var group = "g" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        var ns = server.NewNamespace();
        await server.KubectlOkAsync(minor, "create", "namespace", ns);
        await server.KubectlOkAsync(minor, "apply", "-f", Write("crd", Crd(group)));
        await server.KubectlOkAsync(minor, "wait", "--for=condition=Established", "crd/widgets." + group, "--timeout=30s");

        var crd = JsonNode.Parse(await server.KubectlOkAsync(minor, "get", "crd", "widgets." + group, "-o", "json"))!;
        Assert.Equal("Widget", crd["status"]!["acceptedNames"]!["kind"]!.ToString());
        Assert.Equal("v1", crd["status"]!["storedVersions"]![0]!.ToString());
        Assert.Contains("customresourcecleanup.apiextensions.k8s.io", crd["metadata"]!["finalizers"]!.AsArray().Select(f => f!.ToString()));

        await Eventually.WaitAsync(async () => (await server.KubectlAsync(minor, "api-resources", "--api-group=" + group)).Stdout.Contains("widgets", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "discovery to show widgets");
        var resources = await server.KubectlOkAsync(minor, "api-resources", "--api-group=" + group);
        Assert.Contains(ShortName(group), resources, StringComparison.Ordinal);

        await server.KubectlOkAsync(minor, "apply", "-n", ns, "-f", Write("w", $"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: w1}}\nspec: {{size: 3}}\n"));
        var w1 = JsonNode.Parse(await server.KubectlOkAsync(minor, "get", "-n", ns, ShortName(group), "w1", "-o", "json"))!;
        Assert.Equal(group + "/v1", w1["apiVersion"]!.ToString());
        Assert.Equal(3, w1["spec"]!["size"]!.GetValue<int>());
        Assert.Equal(1, w1["metadata"]!["generation"]!.GetValue<int>());

        // Merge patches bump the generation; strategic merge patches are refused, as by kube-apiserver.
        await server.KubectlOkAsync(minor, "patch", "-n", ns, "widget", "w1", "--type=merge", "-p", """{"spec":{"size":4}}""");
        var patched = JsonNode.Parse(await server.KubectlOkAsync(minor, "get", "-n", ns, "widget", "w1", "-o", "json"))!;
        Assert.Equal(2, patched["metadata"]!["generation"]!.GetValue<int>());
        var (code, _, stderr) = await server.KubectlAsync(minor, "patch", "-n", ns, "widget", "w1", "-p", """{"spec":{"size":5}}""");
        Assert.NotEqual(0, code);
        Assert.Contains("strategic-merge-patch", stderr, StringComparison.Ordinal);

        // The status subresource: the main resource ignores status, /status sets only status.
        await server.KubectlOkAsync(minor, "patch", "-n", ns, "widget", "w1", "--subresource=status", "--type=merge", "-p", """{"status":{"phase":"Ready"}}""");
        var withStatus = JsonNode.Parse(await server.KubectlOkAsync(minor, "get", "-n", ns, "widget", "w1", "-o", "json"))!;
        Assert.Equal("Ready", withStatus["status"]!["phase"]!.ToString());
        Assert.Equal(2, withStatus["metadata"]!["generation"]!.GetValue<int>());

        await server.KubectlOkAsync(minor, "apply", "-n", ns, "--server-side", "--force-conflicts", "-f", Write("w2", $"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: w2}}\nspec: {{size: 1}}\n"));
        var all = await server.KubectlOkAsync(minor, "get", "all", "-n", ns, "-o", "name");
        Assert.Contains($"widget.{group}/w1", all, StringComparison.Ordinal);
        Assert.Contains($"widget.{group}/w2", all, StringComparison.Ordinal);

        // kube-apiserver's key layout: /registry/<group>/<plural>/<namespace>/<name>.
        var key = $"/{group}/widgets/{ns}/w1";
        Assert.True(!server.SharesStore || (await server.Store.GetAsync(key, Token)).IsOk);

        await server.KubectlOkAsync(minor, "delete", "crd", "widgets." + group, "--timeout=60s");
        Assert.True(!server.SharesStore || !(await server.Store.GetAsync(key, Token)).IsOk);
        (code, _, _) = await server.KubectlAsync(minor, "get", "-n", ns, "widgets." + group);
        Assert.NotEqual(0, code);
    }

    [Fact]
    public async Task Versions_are_stored_in_the_storage_version_and_served_in_each()
    {
        var group = "g" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        await ServeCrdAsync(group, Crd(group, "Cluster", """
              - name: v2
                served: true
                storage: false
                schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
              - name: v1
                served: true
                storage: true
                schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
            """));

        using var created = await server.Http.PostAsync($"/apis/{group}/v2/widgets", new StringContent($$$"""{"apiVersion":"{{{group}}}/v2","kind":"Widget","metadata":{"name":"c1"}}""", Encoding.UTF8, "application/json"), Token);
        Assert.Equal(System.Net.HttpStatusCode.Created, created.StatusCode);

        if (server.SharesStore)
        {
            var stored = JsonNode.Parse((await server.Store.GetAsync($"/{group}/widgets/c1", Token)).Object!.Value)!;
            Assert.Equal(group + "/v1", stored["apiVersion"]!.ToString());
        }

        Assert.Equal(group + "/v2", JsonNode.Parse(await server.Http.GetStringAsync($"/apis/{group}/v2/widgets/c1", Token))!["apiVersion"]!.ToString());
        Assert.Equal(group + "/v1", JsonNode.Parse(await server.Http.GetStringAsync($"/apis/{group}/v1/widgets/c1", Token))!["apiVersion"]!.ToString());
        await server.KubectlOkAsync(null, "delete", "crd", "widgets." + group, "--timeout=60s");
    }

    [Fact]
    public async Task Additional_printer_columns_show_in_kubectl_get()
    {
        var group = "g" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        await ServeCrdAsync(group, Crd(group, "Cluster", """
              - name: v1
                served: true
                storage: true
                schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
                subresources: {status: {}}
                additionalPrinterColumns:
                - {name: Size, type: integer, jsonPath: .spec.size}
                - {name: Ready, type: string, jsonPath: '.status.conditions[?(@.type=="Ready")].status'}
                - {name: Zone, type: string, jsonPath: .spec.zone, priority: 1}
                - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
            """));
        await server.KubectlOkAsync(null, "apply", "-f", Write("w", $"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: big}}\nspec: {{size: 7, zone: north}}\n"));
        await server.KubectlOkAsync(null, "patch", "widgets." + group, "big", "--subresource=status", "--type=merge", "-p", """{"status":{"conditions":[{"type":"Synced","status":"False"},{"type":"Ready","status":"True"}]}}""");

        var lines = (await server.KubectlOkAsync(null, "get", "widgets." + group)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAME", "SIZE", "READY", "AGE"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["big", "7", "True"], lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[..3]);
        var wide = (await server.KubectlOkAsync(null, "get", "widgets." + group, "-o", "wide")).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("ZONE", wide[0], StringComparison.Ordinal);
        Assert.Contains("north", wide[1], StringComparison.Ordinal);
        await server.KubectlOkAsync(null, "delete", "crd", "widgets." + group, "--timeout=60s");
    }

    [Fact]
    public async Task The_structural_schema_prunes_unknown_fields_and_refuses_wrong_types()
    {
        var group = "g" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        await ServeCrdAsync(group, Crd(group, "Cluster", """
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
                          size: {type: integer}
                          port: {x-kubernetes-int-or-string: true}
                          tags: {type: object, additionalProperties: {type: string}}
                          extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
            """));

        // kubectl asks for Strict field validation: an unknown field is refused, naming it.
        var unknown = Write("w", $"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: w1, labels: {{a: b}}}}\nspec: {{size: 2, colour: red, port: http, tags: {{x: z}}, extra: {{any: [1, 2]}}}}\n");
        var (code, _, stderr) = await server.KubectlAsync(null, "create", "-f", unknown);
        Assert.NotEqual(0, code);
        Assert.Contains("unknown field \"spec.colour\"", stderr, StringComparison.Ordinal);

        // Without validation it is pruned; what the schema names (and what it preserves) is kept.
        await server.KubectlOkAsync(null, "create", "--validate=false", "-f", unknown);
        var w1 = JsonNode.Parse(await server.KubectlOkAsync(null, "get", "widgets." + group, "w1", "-o", "json"))!;
        Assert.Null(w1["spec"]!["colour"]);
        Assert.Equal(2, w1["spec"]!["size"]!.GetValue<int>());
        Assert.Equal("http", w1["spec"]!["port"]!.ToString());
        Assert.Equal("z", w1["spec"]!["tags"]!["x"]!.ToString());
        Assert.Equal(2, w1["spec"]!["extra"]!["any"]!.AsArray().Count);
        Assert.Equal("b", w1["metadata"]!["labels"]!["a"]!.ToString());

        // A value of the wrong type is refused with 422 Invalid, in kube-apiserver's words.
        (code, _, stderr) = await server.KubectlAsync(null, "create", "-f", Write("bad", $"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: w2}}\nspec: {{size: big}}\n"));
        Assert.NotEqual(0, code);
        Assert.Contains("is invalid: spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"string\"", stderr, StringComparison.Ordinal);
        using var typed = await server.Http.PostAsync($"/apis/{group}/v1/widgets", new StringContent($$$"""{"apiVersion":"{{{group}}}/v1","kind":"Widget","metadata":{"name":"w3"},"spec":"big"}""", Encoding.UTF8, "application/json"), Token);
        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, typed.StatusCode);
        var status = JsonNode.Parse(await typed.Content.ReadAsStringAsync(Token))!;
        Assert.Equal("Invalid", status["reason"]!.ToString());
        var cause = Assert.Single(status["details"]!["causes"]!.AsArray())!;
        Assert.Equal(("FieldValueTypeInvalid", "spec", "Invalid value: \"string\": spec in body must be of type object: \"string\""), (cause["reason"]!.ToString(), cause["field"]!.ToString(), cause["message"]!.ToString()));
        await server.KubectlOkAsync(null, "delete", "crd", "widgets." + group, "--timeout=60s");
    }

    [Fact]
    public async Task Schema_defaults_fill_in_and_value_rules_refuse_with_kubes_messages()
    {
        var group = "g" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        await ServeCrdAsync(group, Crd(group, "Cluster", """
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec:
                        type: object
                        required: [mode]
                        properties:
                          size: {type: integer, minimum: 1, maximum: 10, default: 3}
                          mode: {type: string, enum: [fast, slow]}
                          name: {type: string, pattern: '^[a-z]+$', maxLength: 5}
                          items: {type: array, maxItems: 2, items: {type: string}}
            """));

        await server.KubectlOkAsync(null, "create", "-f", Write("ok", $"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: ok}}\nspec: {{mode: fast, name: abc}}\n"));
        var ok = JsonNode.Parse(await server.KubectlOkAsync(null, "get", "widgets." + group, "ok", "-o", "json"))!;
        Assert.Equal(3, ok["spec"]!["size"]!.GetValue<int>());

        foreach (var (spec, message) in new[]
        {
            ("{mode: fast, size: 11}", "spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10"),
            ("{mode: fast, size: 0}", "spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1"),
            ("{size: 2}", "spec.mode: Required value"),
            ("{mode: medium}", "spec.mode: Unsupported value: \"medium\": supported values: \"fast\", \"slow\""),
            ("{mode: slow, name: ABC}", "spec.name: Invalid value: \"ABC\": spec.name in body should match '^[a-z]+$'"),
            ("{mode: slow, items: [a, b, c]}", "spec.items: Too many: 3: must have at most 2 items"),
        })
        {
            var (code, _, stderr) = await server.KubectlAsync(null, "create", "-f", Write("bad", $"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: bad}}\nspec: {spec}\n"));
            Assert.NotEqual(0, code);
            Assert.Contains("is invalid", stderr, StringComparison.Ordinal);
            Assert.Contains(message, stderr, StringComparison.Ordinal);
        }

        await server.KubectlOkAsync(null, "delete", "crd", "widgets." + group, "--timeout=60s");
    }

    private static string ExplainedVersions(string sizeDescription) => $$"""
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                description: A widget of the test.
                properties:
                  spec:
                    type: object
                    description: What the widget should be.
                    properties:
                      size: {type: integer, description: '{{sizeDescription}}'}
                      port: {x-kubernetes-int-or-string: true}
        """;

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Kubectl_explain_reads_the_crd_schema_from_openapi_v3_and_follows_its_changes(int minor)
    {
        var group = "g" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        var kind = ShortName(group);
        await ServeCrdAsync(group, Crd(group, "Namespaced", ExplainedVersions("How big the widget is.")));
        await Eventually.WaitAsync(async () => (await server.KubectlAsync(minor, "explain", kind)).ExitCode == 0, TimeSpan.FromSeconds(30), "kubectl explain to find the kind");

        var explained = await server.KubectlOkAsync(minor, "explain", kind);
        Assert.Contains("KIND:       Widget", explained, StringComparison.Ordinal);
        Assert.Contains("A widget of the test.", explained, StringComparison.Ordinal);
        Assert.Matches(@"metadata\s+<ObjectMeta>", explained);
        Assert.Matches(@"spec\s+<Object>", explained);
        var field = await server.KubectlOkAsync(minor, "explain", kind + ".spec.size");
        Assert.Contains("FIELD: size <integer>", field, StringComparison.Ordinal);
        Assert.Contains("How big the widget is.", field, StringComparison.Ordinal);

        // The document kubectl cached (by the hash in /openapi/v3) is replaced when the CRD changes.
        var path = $"apis/{group}/v1";
        var before = JsonNode.Parse(await server.Http.GetStringAsync("/openapi/v3", Token))!["paths"]![path]!["serverRelativeURL"]!.ToString();
        await server.KubectlOkAsync(minor, "apply", "-f", Write("crd", Crd(group, "Namespaced", ExplainedVersions("How big, in metres."))));
        await Eventually.WaitAsync(async () => (await server.KubectlAsync(minor, "explain", kind + ".spec.size")).Stdout.Contains("How big, in metres.", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "kubectl explain to show the changed description");
        var after = JsonNode.Parse(await server.Http.GetStringAsync("/openapi/v3", Token))!["paths"]![path]!["serverRelativeURL"]!.ToString();
        Assert.NotEqual(before, after);

        // The published PATCH operation declares fieldValidation, so kubectl leaves validation to the server.
        var (code, _, stderr) = await server.KubectlAsync(minor, "apply", "-f", Write("w", $"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: w1, namespace: default}}\nspec: {{size: 2, colour: red}}\n"));
        Assert.NotEqual(0, code);
        Assert.Contains("unknown field \"spec.colour\"", stderr, StringComparison.Ordinal);

        await server.KubectlOkAsync(minor, "delete", "crd", "widgets." + group, "--timeout=60s");
        await Eventually.WaitAsync(async () => JsonNode.Parse(await server.Http.GetStringAsync("/openapi/v3", Token))!["paths"]![path] is null, TimeSpan.FromSeconds(30), "the group-version to leave /openapi/v3");
    }

    [Fact]
    public async Task The_openapi_documents_publish_the_kind_as_kube_apiserver_does()
    {
        var group = "g" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        await ServeCrdAsync(group, Crd(group, "Namespaced", ExplainedVersions("How big the widget is.")));
        var reversed = string.Join('.', group.Split('.').Reverse());
        var v3 = JsonNode.Parse(await server.Http.GetStringAsync($"/openapi/v3/apis/{group}/v1", Token))!;
        var widget = v3["components"]!["schemas"]![reversed + ".v1.Widget"]!;
        Assert.Equal($$"""[{"group":"{{group}}","kind":"Widget","version":"v1"}]""", widget["x-kubernetes-group-version-kind"]!.ToJsonString());
        Assert.Equal("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", widget["properties"]!["metadata"]!["$ref"]!.ToString());
        Assert.Equal("string", widget["properties"]!["apiVersion"]!["type"]!.ToString());
        Assert.Equal("""[{"type":"integer"},{"type":"string"}]""", widget["properties"]!["spec"]!["properties"]!["port"]!["anyOf"]!.ToJsonString());
        Assert.NotNull(v3["components"]!["schemas"]![reversed + ".v1.WidgetList"]);
        Assert.NotNull(v3["components"]!["schemas"]!["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]);
        var patch = v3["paths"]![$"/apis/{group}/v1/namespaces/{{namespace}}/widgets/{{name}}"]!["patch"]!;
        Assert.Contains(patch["parameters"]!.AsArray(), p => p!["name"]!.ToString() == "fieldValidation");
        Assert.DoesNotContain("application/strategic-merge-patch+json", patch["requestBody"]!["content"]!.AsObject().Select(c => c.Key));

        var v2 = JsonNode.Parse(await server.Http.GetStringAsync("/openapi/v2", Token))!;
        var v2Widget = v2["definitions"]![reversed + ".v1.Widget"]!;
        Assert.Equal("#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", v2Widget["properties"]!["metadata"]!["$ref"]!.ToString());
        Assert.Null(v2Widget["properties"]!["spec"]!["properties"]!["port"]!["anyOf"]);
        await server.KubectlOkAsync(null, "delete", "crd", "widgets." + group, "--timeout=60s");
    }

    [Fact]
    public async Task Nullable_formats_list_types_combinators_and_embedded_resources_are_honoured_in_kubes_words()
    {
        var group = "g" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        await ServeCrdAsync(group, Crd(group, "Cluster", """
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
                          replicas: {type: integer, default: 1}
                          note: {type: string, nullable: true}
                          plain: {type: string}
                          id: {type: string, format: uuid}
                          when: {type: string, format: date-time}
                          tags: {type: array, x-kubernetes-list-type: set, items: {type: string}}
                          ports:
                            type: array
                            x-kubernetes-list-type: map
                            x-kubernetes-list-map-keys: [name]
                            items: {type: object, required: [name], properties: {name: {type: string}, port: {type: integer}}}
                          size: {type: integer, multipleOf: 2}
                          choice: {type: string, oneOf: [{pattern: '^a'}, {pattern: '^b'}]}
                          either: {type: string, anyOf: [{minLength: 3}, {pattern: '^x'}]}
                          notx: {type: string, not: {pattern: '^x'}}
                          template: {type: object, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true}
            """));

        // A null is kept where the field is nullable, dropped (then defaulted) where it is not.
        await server.KubectlOkAsync(null, "create", "-f", Write("ok", $"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: ok}}\nspec: {{note: null, plain: null, replicas: null, id: 0d8e52f4-3b1c-4f8e-9a51-7c9b2a9f4e11, when: '2024-05-01T10:00:00Z', tags: [a, b], choice: abc, either: xy, template: {{apiVersion: v1, kind: Pod, metadata: {{name: p}}, spec: {{x: 1}}}}}}\n"));
        var ok = JsonNode.Parse(await server.KubectlOkAsync(null, "get", "widgets." + group, "ok", "-o", "json"))!["spec"]!.AsObject();
        Assert.True(ok.ContainsKey("note") && ok["note"] is null);
        Assert.False(ok.ContainsKey("plain"));
        Assert.Equal(1, ok["replicas"]!.GetValue<int>());
        Assert.Equal(1, ok["template"]!["spec"]!["x"]!.GetValue<int>());

        foreach (var (spec, message) in new[]
        {
            ("{replicas: 1.5}", "spec.replicas: Invalid value: \"number\": spec.replicas in body must be of type integer: \"number\""),
            ("{tags: [a, null]}", "spec.tags[1]: Invalid value: \"null\": spec.tags[1] in body must be of type string: \"null\""),
            ("{id: nope}", "spec.id: Invalid value: \"nope\": spec.id in body must be of type uuid: \"nope\""),
            ("{when: yesterday}", "spec.when: Invalid value: \"yesterday\": spec.when in body must be of type date-time: \"yesterday\""),
            ("{tags: [a, b, a]}", "spec.tags[2]: Duplicate value: \"a\""),
            ("{ports: [{name: http, port: 1}, {name: http, port: 2}]}", "spec.ports[1]: Duplicate value: map[string]interface {}{\"name\":\"http\"}"),
            ("{size: 3}", "spec.size: Invalid value: 3: spec.size in body should be a multiple of 2"),
            ("{choice: c}", "\"spec.choice\" must validate one and only one schema (oneOf). Found none valid"),
            ("{either: ab}", "\"spec.either\" must validate at least one schema (anyOf)"),
            ("{notx: xy}", "\"spec.notx\" must not validate the schema (not)"),
            ("{template: {metadata: {name: p}}}", "spec.template.kind: Required value: must not be empty"),
            ("{template: {apiVersion: v1, kind: Pod, metadata: {name: A_B}}}", "spec.template.metadata.name: Invalid value: \"A_B\": a lowercase RFC 1123 subdomain"),
        })
        {
            var (code, _, stderr) = await server.KubectlAsync(null, "create", "-f", Write("bad", $"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: bad}}\nspec: {spec}\n"));
            Assert.NotEqual(0, code);
            Assert.Contains("is invalid", stderr, StringComparison.Ordinal);
            Assert.Contains(message, stderr, StringComparison.Ordinal);
        }

        await server.KubectlOkAsync(null, "delete", "crd", "widgets." + group, "--timeout=60s");
    }

    [Fact]
    public async Task Selectable_fields_filter_lists_and_watches_and_other_fields_are_refused()
    {
        var group = "g" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        await ServeCrdAsync(group, Crd(group, "Cluster", """
              - name: v1
                served: true
                storage: true
                selectableFields: [{jsonPath: .spec.color}, {jsonPath: .spec.size}]
                schema:
                  openAPIV3Schema:
                    type: object
                    properties:
                      spec: {type: object, properties: {color: {type: string}, size: {type: integer}, shape: {type: string}}}
            """));
        foreach (var (name, color, size) in new[] { ("red1", "red", 1), ("red2", "red", 2), ("blue1", "blue", 1) })
        {
            await server.KubectlOkAsync(null, "create", "-f", Write("w", $"apiVersion: {group}/v1\nkind: Widget\nmetadata: {{name: {name}}}\nspec: {{color: {color}, size: {size}, shape: round}}\n"));
        }

        var red = await server.KubectlOkAsync(null, "get", "widgets." + group, "--field-selector", "spec.color=red", "-o", "name");
        Assert.Equal([$"widget.{group}/red1", $"widget.{group}/red2"], red.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var small = await server.KubectlOkAsync(null, "get", "widgets." + group, "--field-selector", "spec.size=1,spec.color!=red", "-o", "name");
        Assert.Equal([$"widget.{group}/blue1"], small.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        // A watch sees only what the selector picks.
        using var watch = await server.Http.GetAsync($"/apis/{group}/v1/widgets?watch=true&fieldSelector=spec.color%3Dblue&timeoutSeconds=5", HttpCompletionOption.ResponseHeadersRead, Token);
        using var reader = new StreamReader(await watch.Content.ReadAsStreamAsync(Token));
        var first = JsonNode.Parse((await reader.ReadLineAsync(Token))!)!;
        Assert.Equal("blue1", first["object"]!["metadata"]!["name"]!.ToString());
        await server.KubectlOkAsync(null, "patch", "widgets." + group, "red1", "--type=merge", "-p", """{"spec":{"color":"blue"}}""");
        var next = JsonNode.Parse((await reader.ReadLineAsync(Token))!)!;
        Assert.Equal("red1", next["object"]!["metadata"]!["name"]!.ToString());

        var (code, _, stderr) = await server.KubectlAsync(null, "get", "widgets." + group, "--field-selector", "spec.shape=round");
        Assert.NotEqual(0, code);
        Assert.Contains("field label not supported: spec.shape", stderr, StringComparison.Ordinal);
        await server.KubectlOkAsync(null, "delete", "crd", "widgets." + group, "--timeout=60s");
    }

    [Fact]
    public async Task A_crd_whose_names_another_crd_of_its_group_holds_is_not_accepted_nor_served()
    {
        var group = "g" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        await ServeCrdAsync(group, Crd(group));
        var gadgets = $$"""
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: gadgets.{{group}}}
            spec:
              group: {{group}}
              scope: Namespaced
              names: {plural: gadgets, kind: Gadget, shortNames: [{{ShortName(group)}}]}
              versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
            """;
        await server.KubectlOkAsync(null, "apply", "-f", Write("crd", gadgets));
        await server.KubectlOkAsync(null, "wait", "--for=condition=NamesAccepted=False", "crd/gadgets." + group, "--timeout=30s");
        var crd = JsonNode.Parse(await server.KubectlOkAsync(null, "get", "crd", "gadgets." + group, "-o", "json"))!;
        var conditions = crd["status"]!["conditions"]!.AsArray();
        var names = conditions.First(c => c!["type"]!.ToString() == "NamesAccepted")!;
        Assert.Equal(("ShortNamesConflict", $"\"{ShortName(group)}\" is already in use"), (names["reason"]!.ToString(), names["message"]!.ToString()));
        var established = conditions.First(c => c!["type"]!.ToString() == "Established")!;
        Assert.Equal(("False", "NotAccepted"), (established["status"]!.ToString(), established["reason"]!.ToString()));
        using var notServed = await server.Http.GetAsync($"/apis/{group}/v1/gadgets", Token);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, notServed.StatusCode);

        // Freed of the clash, it is accepted and served.
        await server.KubectlOkAsync(null, "apply", "-f", Write("crd", gadgets.Replace($"shortNames: [{ShortName(group)}]", "shortNames: [gd" + ShortName(group)[2..] + "]", StringComparison.Ordinal)));
        await server.KubectlOkAsync(null, "wait", "--for=condition=Established", "crd/gadgets." + group, "--timeout=30s");
        await Eventually.WaitAsync(async () => (await server.Http.GetAsync($"/apis/{group}/v1/gadgets", Token)).IsSuccessStatusCode, TimeSpan.FromSeconds(30), "gadgets to be served");
        await server.KubectlOkAsync(null, "delete", "crd", "gadgets." + group, "widgets." + group, "--timeout=60s");
    }

    [Fact]
    public async Task Invalid_definitions_and_conversion_webhooks_are_refused_with_their_reason()
    {
        var group = "g" + Guid.NewGuid().ToString("N")[..8] + ".example.com";
        var webhook = Crd(group).Replace("  versions:", "  conversion: {strategy: Webhook}\n  versions:", StringComparison.Ordinal);
        var (code, _, stderr) = await server.KubectlAsync(null, "apply", "-f", Write("crd", webhook));
        Assert.NotEqual(0, code);
        Assert.Contains("conversion webhooks are not supported by monokube yet", stderr, StringComparison.Ordinal);

        var cel = Crd(group).Replace("x-kubernetes-preserve-unknown-fields: true}}", "x-kubernetes-preserve-unknown-fields: true, x-kubernetes-validations: [{rule: 'self.size < 10'}]}}", StringComparison.Ordinal);
        (code, _, stderr) = await server.KubectlAsync(null, "apply", "-f", Write("crd", cel));
        Assert.NotEqual(0, code);
        Assert.Contains("x-kubernetes-validations (CEL) rules are not supported by monokube yet", stderr, StringComparison.Ordinal);

        (code, _, stderr) = await server.KubectlAsync(null, "apply", "-f", Write("crd", Crd("apps")));
        Assert.NotEqual(0, code);
        Assert.Contains("spec.group", stderr, StringComparison.Ordinal);

        // Schemas kube-apiserver will not serve: uniqueItems, a list-type map without keys, a key neither required nor defaulted.
        var unstructural = Crd(group).Replace("{openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}",
            "{openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {tags: {type: array, uniqueItems: true, items: {type: string}}, "
            + "ports: {type: array, x-kubernetes-list-type: map, items: {type: object, properties: {port: {type: integer}}}}, "
            + "zones: {type: array, x-kubernetes-list-type: map, x-kubernetes-list-map-keys: [name], items: {type: object, properties: {name: {type: string}}}}}}}}}", StringComparison.Ordinal);
        (code, _, stderr) = await server.KubectlAsync(null, "apply", "-f", Write("crd", unstructural));
        Assert.NotEqual(0, code);
        Assert.Contains("spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[tags].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic", stderr, StringComparison.Ordinal);
        Assert.Contains("spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[ports].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map", stderr, StringComparison.Ordinal);
        Assert.Contains("spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[zones].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property", stderr, StringComparison.Ordinal);

        // Non-structural schemas: a field without a type, an array without items, a schema-less version.
        var untyped = Crd(group).Replace("{openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}",
            "{openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {size: {description: any}, tags: {type: array}}}}}}", StringComparison.Ordinal);
        (code, _, stderr) = await server.KubectlAsync(null, "apply", "-f", Write("crd", untyped));
        Assert.NotEqual(0, code);
        Assert.Contains("spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[size].type: Required value: must not be empty for specified object fields", stderr, StringComparison.Ordinal);
        Assert.Contains("spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[tags].items: Required value: must be specified", stderr, StringComparison.Ordinal);
        var schemaless = Crd(group).Replace("    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n", "", StringComparison.Ordinal);
        Assert.DoesNotContain("openAPIV3Schema", schemaless, StringComparison.Ordinal);
        (code, _, stderr) = await server.KubectlAsync(null, "apply", "-f", Write("crd", schemaless));
        Assert.NotEqual(0, code);
        Assert.Contains("spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required", stderr, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await server.Http.GetAsync($"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.{group}", Token)).StatusCode);
    }
}

public sealed class CustomResourcesOnMemoryTests(MemoryApiServerFixture server) : CustomResourceTests(server), IClassFixture<MemoryApiServerFixture>;

public sealed class CustomResourcesOnEtcdTests(EtcdApiServerFixture server) : CustomResourceTests(server), IClassFixture<EtcdApiServerFixture>;
