using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>kube-apiserver's REST semantics, checked over plain HTTP: status codes, Status bodies, versions, paging.</summary>
public abstract class RestSemanticsTests(ApiServerFixture server)
{
    private HttpClient Http => server.Http;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private async Task<string> NamespaceAsync()
    {
        var ns = server.NewNamespace();
        var response = await SendAsync(HttpMethod.Post, "/api/v1/namespaces", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}""");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return ns;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return await Http.SendAsync(request, Token);
    }

    private static async Task<JsonNode> JsonAsync(HttpResponseMessage response) => JsonNode.Parse(await response.Content.ReadAsStringAsync(Token))!;

    private static async Task AssertStatusAsync(HttpResponseMessage response, HttpStatusCode code, string reason, string? message = null)
    {
        var body = await JsonAsync(response);
        Assert.Equal(code, response.StatusCode);
        Assert.Equal("Status", body["kind"]!.ToString());
        Assert.Equal(reason, body["reason"]!.ToString());
        Assert.Equal((int)code, body["code"]!.GetValue<int>());
        if (message is not null)
        {
            Assert.Equal(message, body["message"]!.ToString());
        }
    }

    private static string ConfigMap(string name, string value = "1", string extraMeta = "") =>
        $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"{{{extraMeta}}}},"data":{"v":"{{{value}}}"}}""";

    [Fact]
    public async Task Nothing_is_created_in_a_missing_namespace_nor_in_one_being_deleted()
    {
        await AssertStatusAsync(await SendAsync(HttpMethod.Post, "/api/v1/namespaces/no-such-namespace/configmaps", ConfigMap("c")),
            HttpStatusCode.NotFound, "NotFound", "namespaces \"no-such-namespace\" not found");

        // Only the garbage collector runs beside this API, so the namespace stays Terminating (its finalizer stays).
        var ns = await NamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, path, ConfigMap("before"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Delete, "/api/v1/namespaces/" + ns)).StatusCode);
        await AssertStatusAsync(await SendAsync(HttpMethod.Post, path, ConfigMap("after")), HttpStatusCode.Forbidden, "Forbidden",
            $"configmaps \"after\" is forbidden: unable to create new content in namespace {ns} because it is being terminated");
        await AssertStatusAsync(await SendAsync(HttpMethod.Post, path, """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"g-"}}"""),
            HttpStatusCode.Forbidden, "Forbidden", $"configmaps is forbidden: unable to create new content in namespace {ns} because it is being terminated");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, path + "/before")).StatusCode);

        // A namespace created a moment ago takes objects at once.
        var fresh = await NamespaceAsync();
        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{fresh}/configmaps", ConfigMap("c"))).StatusCode);
    }

    [Fact]
    public async Task Errors_are_statuses_with_kubernetes_reasons_and_wording()
    {
        var ns = await NamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        await AssertStatusAsync(await SendAsync(HttpMethod.Get, path + "/missing"), HttpStatusCode.NotFound, "NotFound", "configmaps \"missing\" not found");
        await AssertStatusAsync(await SendAsync(HttpMethod.Get, $"/apis/apps/v1/namespaces/{ns}/deployments/missing"), HttpStatusCode.NotFound, "NotFound", "deployments.apps \"missing\" not found");

        Assert.Equal(HttpStatusCode.Created, (await SendAsync(HttpMethod.Post, path, ConfigMap("a"))).StatusCode);
        await AssertStatusAsync(await SendAsync(HttpMethod.Post, path, ConfigMap("a")), HttpStatusCode.Conflict, "AlreadyExists", "configmaps \"a\" already exists");
        await AssertStatusAsync(await SendAsync(HttpMethod.Post, path, "{\"apiVersion\":"), HttpStatusCode.BadRequest, "BadRequest");
        await AssertStatusAsync(await SendAsync(HttpMethod.Post, path, ConfigMap("b"), "application/vnd.kubernetes.protobuf"), HttpStatusCode.BadRequest, "BadRequest", "the request body is not valid protobuf: the protobuf body does not start with the Kubernetes magic number \"k8s\\0\"");
        await AssertStatusAsync(await SendAsync(HttpMethod.Post, path, ConfigMap("b"), "text/plain"), HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType");
        await AssertStatusAsync(await SendAsync(HttpMethod.Post, "/api/v1/namespaces/nope/configmaps", ConfigMap("b")), HttpStatusCode.NotFound, "NotFound", "namespaces \"nope\" not found");
        await AssertStatusAsync(await SendAsync(HttpMethod.Post, path, ConfigMap("b").Replace("\"v1\"", "\"v2\"", StringComparison.Ordinal)), HttpStatusCode.BadRequest, "BadRequest");
        await AssertStatusAsync(await SendAsync(HttpMethod.Put, path + "/a", ConfigMap("other")), HttpStatusCode.BadRequest, "BadRequest", "the name of the object (other) does not match the name on the URL (a)");
        await AssertStatusAsync(await SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/bindings/x", "{}"), HttpStatusCode.MethodNotAllowed, "MethodNotAllowed");

        var invalid = await SendAsync(HttpMethod.Post, path, ConfigMap("Bad_Name", extraMeta: ",\"labels\":{\"-x\":\"y\"}"));
        await AssertStatusAsync(invalid, (HttpStatusCode)422, "Invalid");
        var details = (await JsonAsync(invalid))["details"]!;
        Assert.Equal("ConfigMap", details["kind"]!.ToString());
        Assert.Equal(["metadata.name", "metadata.labels"], details["causes"]!.AsArray().Select(c => c!["field"]!.ToString()));
        Assert.All(details["causes"]!.AsArray(), c => Assert.Equal("FieldValueInvalid", c!["reason"]!.ToString()));
    }

    [Fact]
    public async Task Updates_check_resource_versions_and_no_op_updates_do_not_write()
    {
        var ns = await NamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var created = await JsonAsync(await SendAsync(HttpMethod.Post, path, ConfigMap("a")));
        var rv = created["metadata"]!["resourceVersion"]!.ToString();
        var uid = created["metadata"]!["uid"]!.ToString();
        Assert.False(string.IsNullOrEmpty(uid));
        Assert.NotNull(created["metadata"]!["creationTimestamp"]);

        var same = await SendAsync(HttpMethod.Put, path + "/a", ConfigMap("a", extraMeta: $",\"resourceVersion\":\"{rv}\""));
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
        Assert.Equal(rv, (await JsonAsync(same))["metadata"]!["resourceVersion"]!.ToString());

        var changed = await JsonAsync(await SendAsync(HttpMethod.Put, path + "/a", ConfigMap("a", "2", $",\"resourceVersion\":\"{rv}\"")));
        Assert.NotEqual(rv, changed["metadata"]!["resourceVersion"]!.ToString());
        Assert.Equal(uid, changed["metadata"]!["uid"]!.ToString());

        var stale = await SendAsync(HttpMethod.Put, path + "/a", ConfigMap("a", "3", $",\"resourceVersion\":\"{rv}\""));
        await AssertStatusAsync(stale, HttpStatusCode.Conflict, "Conflict",
            "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; please apply your changes to the latest version and try again");

        await AssertStatusAsync(await SendAsync(HttpMethod.Put, path + "/missing", ConfigMap("missing")), HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task Generation_counts_spec_changes_and_status_is_written_only_through_its_subresource()
    {
        var ns = await NamespaceAsync();
        var path = $"/apis/apps/v1/namespaces/{ns}/deployments";
        var deployment = """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x:1"}]}}},"status":{"replicas":7}}""";
        var created = await JsonAsync(await SendAsync(HttpMethod.Post, path, deployment));
        Assert.Equal(1, created["metadata"]!["generation"]!.GetValue<long>());
        Assert.Null(created["status"]?["replicas"]);
        Assert.Equal("RollingUpdate", created["spec"]!["strategy"]!["type"]!.ToString());
        Assert.Equal("IfNotPresent", created["spec"]!["template"]!["spec"]!["containers"]![0]!["imagePullPolicy"]!.ToString());

        var labelled = await JsonAsync(await SendAsync(HttpMethod.Patch, path + "/d", """{"metadata":{"labels":{"x":"y"}}}""", "application/merge-patch+json"));
        Assert.Equal(1, labelled["metadata"]!["generation"]!.GetValue<long>());

        var scaled = await JsonAsync(await SendAsync(HttpMethod.Patch, path + "/d", """{"spec":{"replicas":3},"status":{"replicas":9}}""", "application/merge-patch+json"));
        Assert.Equal(2, scaled["metadata"]!["generation"]!.GetValue<long>());
        Assert.Null(scaled["status"]?["replicas"]);

        var status = await JsonAsync(await SendAsync(HttpMethod.Patch, path + "/d/status", """{"spec":{"replicas":5},"status":{"replicas":3,"observedGeneration":2}}""", "application/merge-patch+json"));
        Assert.Equal(3, status["status"]!["replicas"]!.GetValue<long>());
        Assert.Equal(3, status["spec"]!["replicas"]!.GetValue<long>());
        Assert.Equal(2, status["metadata"]!["generation"]!.GetValue<long>());

        var scale = await JsonAsync(await SendAsync(HttpMethod.Get, path + "/d/scale"));
        Assert.Equal(("Scale", "autoscaling/v1", 3L, "a=b"), (scale["kind"]!.ToString(), scale["apiVersion"]!.ToString(), scale["spec"]!["replicas"]!.GetValue<long>(), scale["status"]!["selector"]!.ToString()));
    }

    [Fact]
    public async Task Paged_lists_continue_at_one_revision_and_report_what_remains()
    {
        var ns = await NamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        for (var i = 0; i < 5; i++)
        {
            await SendAsync(HttpMethod.Post, path, ConfigMap($"cm-{i}"));
        }

        var first = await JsonAsync(await SendAsync(HttpMethod.Get, path + "?limit=2"));
        Assert.Equal(2, first["items"]!.AsArray().Count);
        Assert.Equal(3, first["metadata"]!["remainingItemCount"]!.GetValue<long>());
        var token = first["metadata"]!["continue"]!.ToString();
        var revision = first["metadata"]!["resourceVersion"]!.ToString();

        await SendAsync(HttpMethod.Post, path, ConfigMap("cm-9"));
        await SendAsync(HttpMethod.Delete, path + "/cm-3");

        var names = first["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.ToString()).ToList();
        while (token.Length > 0)
        {
            var page = await JsonAsync(await SendAsync(HttpMethod.Get, $"{path}?limit=2&continue={token}"));
            Assert.Equal(revision, page["metadata"]!["resourceVersion"]!.ToString());
            names.AddRange(page["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.ToString()));
            token = page["metadata"]!["continue"]?.ToString() ?? "";
        }

        Assert.Equal(["cm-0", "cm-1", "cm-2", "cm-3", "cm-4"], names);
        await AssertStatusAsync(await SendAsync(HttpMethod.Get, path + "?continue=garbage"), HttpStatusCode.BadRequest, "BadRequest");
        await AssertStatusAsync(await SendAsync(HttpMethod.Get, path + "?fieldSelector=spec.nope=1"), HttpStatusCode.BadRequest, "BadRequest", "field label not supported: spec.nope");
        await AssertStatusAsync(await SendAsync(HttpMethod.Get, path + "?labelSelector=a%3D%3D%3Db"), HttpStatusCode.BadRequest, "BadRequest");
    }

    [Fact]
    public async Task Deleting_an_object_with_finalizers_marks_it_and_removing_the_last_finalizer_deletes_it()
    {
        var ns = await NamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        await SendAsync(HttpMethod.Post, path, ConfigMap("held", extraMeta: ",\"finalizers\":[\"example.com/hold\"]"));

        var deleting = await SendAsync(HttpMethod.Delete, path + "/held");
        Assert.Equal(HttpStatusCode.OK, deleting.StatusCode);
        Assert.NotNull((await JsonAsync(deleting))["metadata"]!["deletionTimestamp"]);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Get, path + "/held")).StatusCode);

        var released = await SendAsync(HttpMethod.Patch, path + "/held", """{"metadata":{"finalizers":null}}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, path + "/held")).StatusCode);

        await SendAsync(HttpMethod.Post, path, ConfigMap("plain"));
        var deleted = await JsonAsync(await SendAsync(HttpMethod.Delete, path + "/plain"));
        Assert.Equal(("Status", "Success", "plain"), (deleted["kind"]!.ToString(), deleted["status"]!.ToString(), deleted["details"]!["name"]!.ToString()));

        var uidMismatch = await SendAsync(HttpMethod.Delete, path + "/x", """{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":"nope"}}""");
        await AssertStatusAsync(uidMismatch, HttpStatusCode.NotFound, "NotFound");
    }

    [Fact]
    public async Task Pods_bound_to_a_node_are_deleted_gracefully_and_a_namespace_is_deleted_through_terminating()
    {
        var ns = await NamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/pods";
        var pod = await JsonAsync(await SendAsync(HttpMethod.Post, path, """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"nodeName":"n1","terminationGracePeriodSeconds":20,"containers":[{"name":"c","image":"x"}]}}"""));
        Assert.Equal("Pending", pod["status"]!["phase"]!.ToString());
        Assert.Equal("default-scheduler", pod["spec"]!["schedulerName"]!.ToString());

        var deleting = await JsonAsync(await SendAsync(HttpMethod.Delete, path + "/p"));
        Assert.Equal(20, deleting["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<long>());

        // The kubelet reports the stopped containers while the grace period runs: the pod stays until its final delete.
        var reported = await SendAsync(HttpMethod.Patch, path + "/p/status", """{"status":{"phase":"Failed"}}""", "application/merge-patch+json");
        Assert.Equal(HttpStatusCode.OK, reported.StatusCode);
        Assert.Equal("Failed", (await JsonAsync(await SendAsync(HttpMethod.Get, path + "/p")))["status"]!["phase"]!.ToString());
        var final = await SendAsync(HttpMethod.Delete, path + "/p", $$$"""{"kind":"DeleteOptions","apiVersion":"v1","gracePeriodSeconds":0,"preconditions":{"uid":"{{{pod["metadata"]!["uid"]}}}"}}""");
        Assert.Equal(HttpStatusCode.OK, final.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, path + "/p")).StatusCode);

        var terminating = await JsonAsync(await SendAsync(HttpMethod.Delete, "/api/v1/namespaces/" + ns));
        Assert.Equal("Terminating", terminating["status"]!["phase"]!.ToString());
        var refused = await SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/configmaps", ConfigMap("late"));
        await AssertStatusAsync(refused, HttpStatusCode.Forbidden, "Forbidden");

        var finalized = await SendAsync(HttpMethod.Put, $"/api/v1/namespaces/{ns}/finalize", $$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"},"spec":{"finalizers":[]}}""");
        Assert.Equal(HttpStatusCode.OK, finalized.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "/api/v1/namespaces/" + ns)).StatusCode);
    }

    [Fact]
    public async Task Pods_on_the_host_network_get_their_container_ports_as_host_ports_and_templates_do_not()
    {
        var ns = await NamespaceAsync();
        var spec = """{"hostNetwork":true,"containers":[{"name":"c","image":"x","ports":[{"containerPort":10257},{"containerPort":80,"hostPort":8080}]}]}""";
        var pod = await JsonAsync(await SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/pods", $$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{{spec}}}"""));
        var ports = pod["spec"]!["containers"]![0]!["ports"]!;
        Assert.Equal((10257, 8080), (ports[0]!["hostPort"]!.GetValue<int>(), ports[1]!["hostPort"]!.GetValue<int>()));

        var deployment = await JsonAsync(await SendAsync(HttpMethod.Post, $"/apis/apps/v1/namespaces/{ns}/deployments",
            """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":""" + spec + "}}}"));
        Assert.Null(deployment["spec"]!["template"]!["spec"]!["containers"]![0]!["ports"]![0]!["hostPort"]);
    }

    [Fact]
    public async Task Dry_run_field_validation_and_yaml_bodies()
    {
        var ns = await NamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var dry = await SendAsync(HttpMethod.Post, path + "?dryRun=All", ConfigMap("dry"));
        Assert.Equal(HttpStatusCode.Created, dry.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, path + "/dry")).StatusCode);
        await AssertStatusAsync(await SendAsync(HttpMethod.Post, path + "?dryRun=Some", ConfigMap("dry")), HttpStatusCode.BadRequest, "BadRequest");

        var unknown = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"u","extra":1},"data":{"a":"1"},"bogus":true}""";
        var strict = await SendAsync(HttpMethod.Post, path + "?fieldValidation=Strict", unknown);
        await AssertStatusAsync(strict, HttpStatusCode.BadRequest, "BadRequest", "strict decoding error: unknown field \"metadata.extra\", unknown field \"bogus\"");
        var warned = await SendAsync(HttpMethod.Post, path, unknown);
        Assert.Equal(HttpStatusCode.Created, warned.StatusCode);
        Assert.Contains(warned.Headers.GetValues("Warning"), w => w.Contains("unknown field \\\"bogus\\\"", StringComparison.Ordinal));
        Assert.Null((await JsonAsync(warned))["bogus"]);

        var typed = await SendAsync(HttpMethod.Post, $"/apis/apps/v1/namespaces/{ns}/deployments", """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"replicas":"three"}}""");
        await AssertStatusAsync(typed, HttpStatusCode.BadRequest, "BadRequest");

        var yaml = await SendAsync(HttpMethod.Post, path, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\ndata:\n  n: \"1\"\n", "application/yaml");
        Assert.Equal(HttpStatusCode.Created, yaml.StatusCode);
        Assert.Equal("1", (await JsonAsync(yaml))["data"]!["n"]!.ToString());
    }

    [Fact]
    public async Task Paths_outside_the_api_answer_GET_with_or_without_a_trailing_slash_and_anything_else_with_a_404_Status()
    {
        foreach (var path in new[] { "/version", "/version/", "/readyz/", "/healthz/log", "/livez/ping/", "/openapi/v3/" })
        {
            var served = await SendAsync(HttpMethod.Get, path);
            Assert.True(served.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)served.StatusCode}");
        }

        // kube-apiserver matches paths case-sensitively, and serves these for GET only.
        foreach (var (method, path) in new[] { (HttpMethod.Get, "/VERSION"), (HttpMethod.Get, "/Apis"), (HttpMethod.Get, "/api-docs"), (HttpMethod.Post, "/version"), (HttpMethod.Put, "/openapi/v2"), (HttpMethod.Delete, "/readyz") })
        {
            await AssertStatusAsync(await SendAsync(method, path), HttpStatusCode.NotFound, "NotFound");
        }

        var unknownCheck = await SendAsync(HttpMethod.Get, "/readyz/no-such-check");
        Assert.Equal(HttpStatusCode.NotFound, unknownCheck.StatusCode);
        Assert.Equal("404 page not found\n", await unknownCheck.Content.ReadAsStringAsync(Token));
    }

    [Fact]
    public async Task Oversized_and_deeply_nested_bodies_are_refused_and_the_server_stays_up()
    {
        var ns = await NamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var huge = ConfigMap("huge", new string('x', 4 * 1024 * 1024));
        await AssertStatusAsync(await SendAsync(HttpMethod.Post, path, huge), HttpStatusCode.RequestEntityTooLarge, "RequestEntityTooLarge");

        var deep = new string('[', 10_000) + new string(']', 10_000);
        await AssertStatusAsync(await SendAsync(HttpMethod.Post, path, deep), HttpStatusCode.BadRequest, "BadRequest");
        Assert.Equal("ok", await Http.GetStringAsync("/readyz", Token));
    }

    [Fact]
    public async Task Tables_carry_kubectls_columns_and_partial_metadata()
    {
        var ns = await NamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        await SendAsync(HttpMethod.Post, path, ConfigMap("t"));
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd("application/json;as=Table;v=v1;g=meta.k8s.io");
        var table = await JsonAsync(await Http.SendAsync(request, Token));
        Assert.Equal(("Table", "meta.k8s.io/v1"), (table["kind"]!.ToString(), table["apiVersion"]!.ToString()));
        Assert.Equal(["Name", "Data", "Age"], table["columnDefinitions"]!.AsArray().Select(c => c!["name"]!.ToString()));
        var row = table["rows"]![0]!;
        Assert.Equal("t", row["cells"]![0]!.ToString());
        Assert.Equal(1, row["cells"]![1]!.GetValue<long>());
        Assert.Equal("PartialObjectMetadata", row["object"]!["kind"]!.ToString());

        var partial = new HttpRequestMessage(HttpMethod.Get, path);
        partial.Headers.Accept.ParseAdd("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io");
        var list = await JsonAsync(await Http.SendAsync(partial, Token));
        Assert.Equal("PartialObjectMetadataList", list["kind"]!.ToString());
        Assert.Null(list["items"]![0]!["data"]);
        Assert.Equal("t", list["items"]![0]!["metadata"]!["name"]!.ToString());

        var one = new HttpRequestMessage(HttpMethod.Get, $"{path}/t");
        one.Headers.Accept.ParseAdd("application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io");
        var partialOne = await JsonAsync(await Http.SendAsync(one, Token));
        Assert.Equal(("PartialObjectMetadata", "meta.k8s.io/v1"), (partialOne["kind"]!.ToString(), partialOne["apiVersion"]!.ToString()));
        Assert.Null(partialOne["data"]);
        var full = await JsonAsync(await SendAsync(HttpMethod.Get, $"{path}/t"));
        Assert.True(JsonNode.DeepEquals(full["metadata"], partialOne["metadata"]));
    }

    [Theory]
    [InlineData("")]
    [InlineData("?includeObject=Metadata")]
    [InlineData("?includeObject=Object")]
    [InlineData("?includeObject=None")]
    public async Task A_lists_table_rows_are_the_rows_of_each_object_read_alone(string query)
    {
        var ns = await NamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/pods";
        foreach (var name in new[] { "a", "b" })
        {
            var created = await SendAsync(HttpMethod.Post, path,
                $$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","labels":{"app":"t"}},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"busybox"},{"name":"d","image":"busybox"}]}}""");
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        await SendAsync(HttpMethod.Patch, $"{path}/b/status",
            """{"status":{"phase":"Running","podIP":"10.0.0.9","containerStatuses":[{"name":"c","ready":true,"restartCount":2,"image":"busybox","imageID":"","state":{"running":{"startedAt":"2026-01-02T03:04:05Z"}}},{"name":"d","ready":false,"restartCount":0,"image":"busybox","imageID":"","state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}}""",
            "application/merge-patch+json");

        var list = await TableAsync(path + query);
        var rows = list["rows"]!.AsArray();
        Assert.Equal(2, rows.Count);

        // The Age cell is left out: a second may pass between the two reads.
        var age = list["columnDefinitions"]!.AsArray().Select(c => c!["name"]!.ToString()).ToList().IndexOf("Age");
        foreach (var (row, name) in rows.Zip(new[] { "a", "b" }))
        {
            var alone = (await TableAsync($"{path}/{name}{query}"))["rows"]![0]!.DeepClone();
            var listed = row!.DeepClone();
            alone["cells"]!.AsArray().RemoveAt(age);
            listed["cells"]!.AsArray().RemoveAt(age);
            Assert.True(JsonNode.DeepEquals(alone, listed), $"{name}: the list's row {listed.ToJsonString()} differs from {alone.ToJsonString()}");
        }

        var b = await JsonAsync(await SendAsync(HttpMethod.Get, $"{path}/b"));
        Assert.Equal(["b", "1/2", "CrashLoopBackOff"], rows[1]!["cells"]!.AsArray().Take(3).Select(c => c!.ToString()));
        switch (query)
        {
            case "?includeObject=Object":
                Assert.True(JsonNode.DeepEquals(b, rows[1]!["object"]));
                break;
            case "?includeObject=None":
                Assert.Null(rows[1]!["object"]);
                break;
            default:
                Assert.Equal("PartialObjectMetadata", rows[1]!["object"]!["kind"]!.ToString());
                Assert.True(JsonNode.DeepEquals(b["metadata"], rows[1]!["object"]!["metadata"]));
                break;
        }

        async Task<JsonNode> TableAsync(string uri)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.Accept.ParseAdd("application/json;as=Table;v=v1;g=meta.k8s.io");
            var response = await Http.SendAsync(request, Token);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await JsonAsync(response);
        }
    }

    [Fact]
    public async Task A_status_update_takes_metadata_from_the_request_as_kubes_status_strategies_do()
    {
        var ns = await NamespaceAsync();
        const string patch = "application/merge-patch+json";
        var deployments = $"/apis/apps/v1/namespaces/{ns}/deployments";
        await SendAsync(HttpMethod.Post, deployments, """
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d","labels":{"l":"1"}},"spec":{"selector":{"matchLabels":{"a":"b"}},
             "template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"x"}]}}}}
            """);

        // A Deployment's /status keeps the request's annotations (the controller records the revision so) but not
        // its labels, and never its spec.
        var deployment = await JsonAsync(await SendAsync(HttpMethod.Patch, deployments + "/d/status",
            """{"metadata":{"labels":{"l":"2"},"annotations":{"deployment.kubernetes.io/revision":"1"}},"spec":{"replicas":9},"status":{"observedGeneration":1}}""", patch));
        Assert.Equal("1", deployment["metadata"]!["annotations"]!["deployment.kubernetes.io/revision"]!.ToString());
        Assert.Equal("1", deployment["metadata"]!["labels"]!["l"]!.ToString());
        Assert.Equal(1, deployment["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(1, deployment["status"]!["observedGeneration"]!.GetValue<int>());
        Assert.Equal(1, deployment["metadata"]!["generation"]!.GetValue<int>());

        // A pod's /status may change labels and annotations, not its ownerReferences.
        var pods = $"/api/v1/namespaces/{ns}/pods";
        await SendAsync(HttpMethod.Post, pods, """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"x"}]}}""");
        var pod = await JsonAsync(await SendAsync(HttpMethod.Patch, pods + "/p/status",
            """{"metadata":{"labels":{"seen":"yes"},"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"x","uid":"00000000-0000-0000-0000-000000000001"}]},"status":{"phase":"Running"}}""", patch));
        Assert.Equal("yes", pod["metadata"]!["labels"]!["seen"]!.ToString());
        Assert.Null(pod["metadata"]!["ownerReferences"]);
        Assert.Equal("Running", pod["status"]!["phase"]!.ToString());
    }

    [Fact]
    public async Task Events_written_through_events_k8s_io_are_core_events_and_back()
    {
        var ns = await NamespaceAsync();
        var created = await SendAsync(HttpMethod.Post, $"/apis/events.k8s.io/v1/namespaces/{ns}/events",
            """{"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"e1"},"eventTime":"2026-01-02T03:04:05.000000Z","reportingController":"tests","reportingInstance":"i1","action":"Testing","reason":"Checked","regarding":{"kind":"Pod","name":"p","namespace":"x"},"note":"hello","type":"Normal"}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("hello", (await JsonAsync(created))["note"]!.ToString());

        var core = await JsonAsync(await SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/events/e1"));
        Assert.Equal(("v1", "hello", "Pod", "tests"), (core["apiVersion"]!.ToString(), core["message"]!.ToString(), core["involvedObject"]!["kind"]!.ToString(), core["reportingComponent"]!.ToString()));

        var selected = await JsonAsync(await SendAsync(HttpMethod.Get, $"/apis/events.k8s.io/v1/namespaces/{ns}/events?fieldSelector=regarding.name%3Dp"));
        Assert.Equal("events.k8s.io/v1", selected["items"]![0]!["apiVersion"]!.ToString());
        Assert.Equal("p", selected["items"]![0]!["regarding"]!["name"]!.ToString());
        var coreSelected = await JsonAsync(await SendAsync(HttpMethod.Get, $"/api/v1/namespaces/{ns}/events?fieldSelector=involvedObject.name%3Dp"));
        Assert.Single(coreSelected["items"]!.AsArray());
    }

    [Fact]
    public async Task Binding_assigns_a_pod_once_and_eviction_respects_disruption_budgets()
    {
        var ns = await NamespaceAsync();
        var pods = $"/api/v1/namespaces/{ns}/pods";
        await SendAsync(HttpMethod.Post, pods, """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"app":"a"}},"spec":{"containers":[{"name":"c","image":"x:1"}]}}""");

        var bound = await SendAsync(HttpMethod.Post, pods + "/p/binding", """{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"n1"}}""");
        Assert.Equal(HttpStatusCode.Created, bound.StatusCode);
        Assert.Equal("Success", (await JsonAsync(bound))["status"]!.ToString());
        var pod = await JsonAsync(await SendAsync(HttpMethod.Get, pods + "/p"));
        Assert.Equal("n1", pod["spec"]!["nodeName"]!.ToString());
        Assert.Contains(pod["status"]!["conditions"]!.AsArray(), c => c!["type"]!.ToString() == "PodScheduled" && c["status"]!.ToString() == "True");
        await AssertStatusAsync(await SendAsync(HttpMethod.Post, pods + "/p/binding", """{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"n2"}}"""),
            HttpStatusCode.Conflict, "Conflict");

        await SendAsync(HttpMethod.Patch, pods + "/p/status", """{"status":{"phase":"Running"}}""", "application/merge-patch+json");
        await SendAsync(HttpMethod.Post, $"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets", """{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"keep"},"spec":{"minAvailable":1,"selector":{"matchLabels":{"app":"a"}}}}""");
        var refused = await SendAsync(HttpMethod.Post, pods + "/p/eviction", """{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p"}}""");
        await AssertStatusAsync(refused, HttpStatusCode.TooManyRequests, "TooManyRequests");

        await SendAsync(HttpMethod.Delete, $"/apis/policy/v1/namespaces/{ns}/poddisruptionbudgets/keep");
        var evicted = await SendAsync(HttpMethod.Post, pods + "/p/eviction", """{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"p"},"deleteOptions":{"gracePeriodSeconds":0}}""");
        Assert.Equal(HttpStatusCode.Created, evicted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, pods + "/p")).StatusCode);
    }

    [Fact]
    public async Task Services_get_cluster_ips_and_node_ports_that_are_released_with_them()
    {
        var ns = await NamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/services";
        static string Service(string name, string spec) => "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"" + name + "\"},\"spec\":{" + spec + "}}";

        var a = await JsonAsync(await SendAsync(HttpMethod.Post, path, Service("a", "\"ports\":[{\"port\":80}]")));
        var ipA = a["spec"]!["clusterIP"]!.ToString();
        Assert.StartsWith("10.0.0.", ipA, StringComparison.Ordinal);
        Assert.NotEqual("10.0.0.1", ipA);
        Assert.Equal($"[\"{ipA}\"]", a["spec"]!["clusterIPs"]!.ToJsonString());
        Assert.Equal(80, a["spec"]!["ports"]![0]!["targetPort"]!.GetValue<long>());
        var reservation = await JsonAsync(await SendAsync(HttpMethod.Get, "/apis/networking.k8s.io/v1/ipaddresses/" + ipA));
        Assert.Equal("a", reservation["spec"]!["parentRef"]!["name"]!.ToString());

        var taken = await SendAsync(HttpMethod.Post, path, Service("b", $"\"clusterIP\":\"{ipA}\",\"ports\":[{{\"port\":80}}]"));
        await AssertStatusAsync(taken, (HttpStatusCode)422, "Invalid");
        var outside = await SendAsync(HttpMethod.Post, path, Service("c", "\"clusterIP\":\"192.168.9.9\",\"ports\":[{\"port\":80}]"));
        await AssertStatusAsync(outside, (HttpStatusCode)422, "Invalid");

        var nodePort = await JsonAsync(await SendAsync(HttpMethod.Post, path, Service("np", "\"type\":\"NodePort\",\"ports\":[{\"port\":80}]")));
        var port = nodePort["spec"]!["ports"]![0]!["nodePort"]!.GetValue<long>();
        Assert.InRange(port, 30000, 32767);
        var headless = await JsonAsync(await SendAsync(HttpMethod.Post, path, Service("h", "\"clusterIP\":\"None\"")));
        Assert.Equal("None", headless["spec"]!["clusterIP"]!.ToString());

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Delete, path + "/a")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Get, "/apis/networking.k8s.io/v1/ipaddresses/" + ipA)).StatusCode);
        var reused = await JsonAsync(await SendAsync(HttpMethod.Post, path, Service("b", $"\"clusterIP\":\"{ipA}\",\"ports\":[{{\"port\":80}}]")));
        Assert.Equal(ipA, reused["spec"]!["clusterIP"]!.ToString());
    }

    [Fact]
    public async Task Csr_approval_changes_only_the_conditions()
    {
        var name = "csr-" + Guid.NewGuid().ToString("N")[..8];
        var path = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
        string Request(string cn)
        {
            using var key = System.Security.Cryptography.ECDsa.Create();
            var csr = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=" + cn, key, System.Security.Cryptography.HashAlgorithmName.SHA256);
            return Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(System.Security.Cryptography.PemEncoding.WriteString("CERTIFICATE REQUEST", csr.CreateSigningRequest())));
        }

        var request = Request("original");
        var invalid = await SendAsync(HttpMethod.Post, path, $$$"""{"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"{{{name}}}"},"spec":{"request":"dGVzdA==","signerName":"example.com/s","usages":["client auth"]}}""");
        await AssertStatusAsync(invalid, HttpStatusCode.UnprocessableEntity, "Invalid");
        var created = await SendAsync(HttpMethod.Post, path, $$$"""{"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"{{{name}}}"},"spec":{"request":"{{{request}}}","signerName":"example.com/s","usages":["client auth"],"username":"forged"}}""");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("system:admin", (await JsonAsync(created))["spec"]!["username"]!.ToString());
        var approved = await SendAsync(HttpMethod.Put, $"{path}/{name}/approval",
            $$$"""{"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"{{{name}}}"},"spec":{"request":"{{{Request("changed")}}}","signerName":"example.com/s","usages":["client auth"]},"status":{"conditions":[{"type":"Approved","status":"True","reason":"Test","message":"ok"}]}}""");
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        var csr = await JsonAsync(approved);
        Assert.Equal("Approved", csr["status"]!["conditions"]![0]!["type"]!.ToString());
        Assert.Equal(request, csr["spec"]!["request"]!.ToString());
    }

    [Fact]
    public async Task Discovery_answers_legacy_or_aggregated_by_the_accept_header()
    {
        var legacy = await Http.GetAsync("/api", Token);
        Assert.Equal("application/json", legacy.Content.Headers.ContentType!.ToString());
        Assert.Equal("APIVersions", (await JsonAsync(legacy))["kind"]!.ToString());

        var request = new HttpRequestMessage(HttpMethod.Get, "/apis");
        request.Headers.TryAddWithoutValidation("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json");
        var aggregated = await Http.SendAsync(request, Token);
        Assert.Equal("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", aggregated.Content.Headers.NonValidated["Content-Type"].ToString());
        var body = await JsonAsync(aggregated);
        Assert.Equal("apidiscovery.k8s.io/v2", body["apiVersion"]!.ToString());
        var apps = body["items"]!.AsArray().Single(i => i!["metadata"]!["name"]?.ToString() == "apps")!;
        var deployments = apps["versions"]![0]!["resources"]!.AsArray().Single(r => r!["resource"]!.ToString() == "deployments")!;
        Assert.Equal("Namespaced", deployments["scope"]!.ToString());
        Assert.Contains(deployments["subresources"]!.AsArray(), s => s!["subresource"]!.ToString() == "scale" && s["responseKind"]!["kind"]!.ToString() == "Scale");

        var etag = aggregated.Headers.ETag!.ToString();
        var again = new HttpRequestMessage(HttpMethod.Get, "/apis");
        again.Headers.TryAddWithoutValidation("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
        again.Headers.TryAddWithoutValidation("If-None-Match", etag);
        Assert.Equal(HttpStatusCode.NotModified, (await Http.SendAsync(again, Token)).StatusCode);

        var resources = await JsonAsync(await Http.GetAsync("/api/v1", Token));
        Assert.Contains(resources["resources"]!.AsArray(), r => r!["name"]!.ToString() == "pods/status" && r["singularName"]!.ToString() == "");
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/apis/nope.example.com/v1", Token)).StatusCode);
    }
}

public sealed class RestSemanticsOnMemoryTests(MemoryApiServerFixture server) : RestSemanticsTests(server), IClassFixture<MemoryApiServerFixture>;

public sealed class RestSemanticsOnEtcdTests(EtcdApiServerFixture server) : RestSemanticsTests(server), IClassFixture<EtcdApiServerFixture>;
