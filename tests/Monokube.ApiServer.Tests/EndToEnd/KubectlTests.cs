using System.Text.Json.Nodes;
using Monokube.TestSupport;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>
/// kubectl 1.27, 1.30 and 1.33 against monokube, as a user drives it; each test in a namespace of its own.
/// Run against the memory store and a real etcd (the two subclasses).
/// </summary>
public abstract class KubectlTests(ApiServerFixture server)
{
    public static TheoryData<int> Versions => [27, 30, 33];

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    // kubectl 1.32+ sends "create namespace" (a typed client) as protobuf; earlier versions as JSON.
    private async Task<string> NamespaceAsync(int minor)
    {
        var ns = server.NewNamespace();
        await server.KubectlOkAsync(minor, "create", "namespace", ns);
        return ns;
    }

    private Task ConfigMapAsync(int minor, string ns, string name, string data = "{}") =>
        server.KubectlOkAsync(minor, "create", "-n", ns, "-f", Write("cm", $"{{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{{\"name\":\"{name}\"}},\"data\":{data}}}"));

    private string Write(string name, string yaml)
    {
        var path = Path.Combine(Path.GetDirectoryName(server.Kubeconfig)!, name + "-" + Guid.NewGuid().ToString("N")[..6] + ".yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Version_and_api_resources_list_every_served_resource(int minor)
    {
        var version = JsonNode.Parse(await server.KubectlOkAsync(minor, "version", "-o", "json"))!;
        Assert.StartsWith("v1.33.0+monokube", version["serverVersion"]!["gitVersion"]!.ToString(), StringComparison.Ordinal);

        var resources = await server.KubectlOkAsync(minor, "api-resources");
        var rows = resources.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Contains(rows, r => r is ["pods", "po", "v1", "true", "Pod"]);
        Assert.Contains(rows, r => r is ["deployments", "deploy", "apps/v1", "true", "Deployment"]);
        Assert.Contains(rows, r => r is ["nodes", "no", "v1", "false", "Node"]);
        Assert.Contains(rows, r => r is ["leases", "coordination.k8s.io/v1", "true", "Lease"]);
        Assert.Contains(rows, r => r is ["customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false", "CustomResourceDefinition"]);
        Assert.Contains(rows, r => r is ["horizontalpodautoscalers", "hpa", "autoscaling/v2", "true", "HorizontalPodAutoscaler"]);
        Assert.Equal(Registry.ResourceRegistry.CreateBuiltin().Resources.Count, rows.Count);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Multi_document_yaml_is_created_and_read_back_in_every_output_format(int minor)
    {
        var ns = await NamespaceAsync(minor);
        var file = Write("objects", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: one, labels: {app: web, tier: front}}
            data: {a: "1"}
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: two, labels: {app: db}}
            data: {b: "2", c: "3"}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, labels: {app: web}}
            spec:
              replicas: 2
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec: {containers: [{name: nginx, image: "nginx:1.25"}]}
            """);
        var created = await server.KubectlOkAsync(minor, "create", "-n", ns, "-f", file);
        Assert.Contains("configmap/one created", created, StringComparison.Ordinal);
        Assert.Contains("deployment.apps/web created", created, StringComparison.Ordinal);

        var yaml = await server.KubectlOkAsync(minor, "get", "-n", ns, "configmap", "one", "-o", "yaml");
        Assert.Contains("kind: ConfigMap", yaml, StringComparison.Ordinal);
        Assert.Contains("a: \"1\"", yaml, StringComparison.Ordinal);

        var json = JsonNode.Parse(await server.KubectlOkAsync(minor, "get", "-n", ns, "configmaps", "-o", "json"))!;
        Assert.Equal(["one", "two"], json["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.ToString()).Order());

        var wide = await server.KubectlOkAsync(minor, "get", "-n", ns, "deployment", "-o", "wide");
        Assert.Matches(@"NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR", wide);
        Assert.Matches(@"web\s+0/2\s+0\s+0\s+\S+\s+nginx\s+nginx:1.25\s+app=web", wide);

        var table = await server.KubectlOkAsync(minor, "get", "-n", ns, "configmaps", "-L", "tier", "--show-labels");
        Assert.Matches(@"NAME\s+DATA\s+AGE\s+TIER\s+LABELS", table);
        Assert.Matches(@"one\s+1\s+\S+\s+front\s+app=web,tier=front", table);
        Assert.Matches(@"two\s+2\s+\S+\s+app=db", table);

        var all = await server.KubectlOkAsync(minor, "get", "configmaps", "-A");
        Assert.Matches($@"{ns}\s+one\s+1", all);

        var selected = await server.KubectlOkAsync(minor, "get", "-n", ns, "configmaps", "--field-selector", "metadata.name=two", "-o", "name");
        Assert.Equal("configmap/two", selected.Trim());
        var labelled = await server.KubectlOkAsync(minor, "get", "-n", ns, "configmaps", "-l", "app in (web),tier", "-o", "name");
        Assert.Equal("configmap/one", labelled.Trim());

        var chunked = await server.KubectlOkAsync(minor, "get", "-n", ns, "configmaps", "--chunk-size=1", "-o", "name");
        Assert.Equal(["configmap/one", "configmap/two"], chunked.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var described = await server.KubectlOkAsync(minor, "describe", "-n", ns, "configmap", "two");
        Assert.Matches(@"Name:\s+two", described);
        Assert.Contains("Labels:       app=db", described, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Apply_creates_then_converges_then_changes_and_removes_fields(int minor)
    {
        var ns = await NamespaceAsync(minor);
        string Manifest(string data, string port) => $$$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: app, namespace: {{{ns}}} }
            spec:
              replicas: 1
              selector: {matchLabels: {app: app}}
              template:
                metadata: {labels: {app: app}}
                spec:
                  containers:
                  - name: main
                    image: "busybox:1.36"
                    env: [{{{data}}}]
                    {{{port}}}
            """;

        var file = Write("apply", Manifest("{name: A, value: '1'}, {name: B, value: '2'}", "ports: [{containerPort: 80}]"));
        Assert.Contains("deployment.apps/app created", await server.KubectlOkAsync(minor, "apply", "-f", file), StringComparison.Ordinal);
        Assert.Contains("deployment.apps/app unchanged", await server.KubectlOkAsync(minor, "apply", "-f", file), StringComparison.Ordinal);

        File.WriteAllText(file, Manifest("{name: A, value: '9'}, {name: B, value: '2'}", "ports: [{containerPort: 80}]"));
        Assert.Contains("deployment.apps/app configured", await server.KubectlOkAsync(minor, "apply", "-f", file), StringComparison.Ordinal);

        File.WriteAllText(file, Manifest("{name: A, value: '9'}", ""));
        Assert.Contains("deployment.apps/app configured", await server.KubectlOkAsync(minor, "apply", "-f", file), StringComparison.Ordinal);

        var container = JsonNode.Parse(await server.KubectlOkAsync(minor, "get", "-n", ns, "deployment", "app", "-o", "json"))!["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("""[{"name":"A","value":"9"}]""", container["env"]!.ToJsonString());
        Assert.Null(container["ports"]);
        Assert.Equal(3, JsonNode.Parse(await server.KubectlOkAsync(minor, "get", "-n", ns, "deployment", "app", "-o", "json"))!["metadata"]!["generation"]!.GetValue<long>());
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Label_annotate_scale_and_patch_in_three_flavours(int minor)
    {
        var ns = await NamespaceAsync(minor);
        await server.KubectlOkAsync(minor, "create", "-n", ns, "-f", Write("deploy", """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              replicas: 1
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec: {containers: [{name: a, image: "a:1"}, {name: b, image: "b:1"}]}
            """));

        await server.KubectlOkAsync(minor, "label", "-n", ns, "deployment", "web", "team=x");
        await server.KubectlOkAsync(minor, "annotate", "-n", ns, "deployment", "web", "note=hello");
        Assert.Contains("deployment.apps/web scaled", await server.KubectlOkAsync(minor, "scale", "-n", ns, "deployment", "web", "--replicas=3"), StringComparison.Ordinal);

        await server.KubectlOkAsync(minor, "patch", "-n", ns, "deployment", "web", "--type", "strategic", "-p", """{"spec":{"template":{"spec":{"containers":[{"name":"b","image":"b:2"}]}}}}""");
        await server.KubectlOkAsync(minor, "patch", "-n", ns, "deployment", "web", "--type", "merge", "-p", """{"metadata":{"labels":{"team":null,"owner":"me"}}}""");
        await server.KubectlOkAsync(minor, "patch", "-n", ns, "deployment", "web", "--type", "json", "-p", """[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"a:2"}]""");

        var deployment = JsonNode.Parse(await server.KubectlOkAsync(minor, "get", "-n", ns, "deployment", "web", "-o", "json"))!;
        Assert.Equal("""{"owner":"me"}""", deployment["metadata"]!["labels"]!.ToJsonString());
        Assert.Equal("hello", deployment["metadata"]!["annotations"]!["note"]!.ToString());
        Assert.Equal(3, deployment["spec"]!["replicas"]!.GetValue<long>());
        Assert.Equal(["a:2", "b:2"], deployment["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Select(c => c!["image"]!.ToString()));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Get_watch_shows_a_change_as_it_happens(int minor)
    {
        var ns = await NamespaceAsync(minor);
        await ConfigMapAsync(minor, ns, "watched", """{"a":"1"}""");
        await using var watch = TestSupport.Kubectl.Start(TestSupport.Kubectl.Find(minor), server.Kubeconfig, "get", "-n", ns, "configmap", "watched", "-w", "--output-watch-events");
        await watch.WaitForOutputAsync(o => o.Contains("ADDED", StringComparison.Ordinal), Timeout, "the initial ADDED event");

        await server.KubectlOkAsync(minor, "label", "-n", ns, "configmap", "watched", "changed=yes");
        await watch.WaitForOutputAsync(o => o.Contains("MODIFIED", StringComparison.Ordinal), Timeout, "the MODIFIED event");

        await server.KubectlOkAsync(minor, "delete", "-n", ns, "configmap", "watched");
        await watch.WaitForOutputAsync(o => o.Contains("DELETED", StringComparison.Ordinal), Timeout, "the DELETED event");
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Wait_for_a_condition_and_for_deletion(int minor)
    {
        var ns = await NamespaceAsync(minor);
        await server.KubectlOkAsync(minor, "create", "-n", ns, "-f", Write("pod", """
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec: {containers: [{name: c, image: "busybox:1.36"}]}
            """));

        var kubectl = TestSupport.Kubectl.Find(minor);
        await using (var wait = TestSupport.Kubectl.Start(kubectl, server.Kubeconfig, "wait", "-n", ns, "--for=condition=Ready", "pod/p", "--timeout=60s"))
        {
            await server.KubectlOkAsync(minor, "patch", "-n", ns, "pod", "p", "--subresource=status", "--type=merge", "-p", """{"status":{"conditions":[{"type":"Ready","status":"True"}]}}""");
            Assert.Equal(0, await wait.WaitForExitAsync(Timeout));
            Assert.Contains("condition met", wait.Stdout, StringComparison.Ordinal);
        }

        await ConfigMapAsync(minor, ns, "doomed");
        await using (var wait = TestSupport.Kubectl.Start(kubectl, server.Kubeconfig, "wait", "-n", ns, "--for=delete", "configmap/doomed", "--timeout=60s"))
        {
            await server.KubectlOkAsync(minor, "delete", "-n", ns, "configmap", "doomed", "--wait");
            Assert.Equal(0, await wait.WaitForExitAsync(Timeout));
        }

        var (code, _, stderr) = await server.KubectlAsync(minor, "get", "-n", ns, "configmap", "doomed");
        Assert.NotEqual(0, code);
        Assert.Contains("NotFound", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Delete_cascades_as_asked(int minor)
    {
        var ns = await NamespaceAsync(minor);
        foreach (var cascade in new[] { "orphan", "foreground", "background" })
        {
            await ConfigMapAsync(minor, ns, "owner-" + cascade);
            var owner = JsonNode.Parse(await server.KubectlOkAsync(minor, "get", "-n", ns, "configmap", "owner-" + cascade, "-o", "json"))!;
            await server.KubectlOkAsync(minor, "create", "-n", ns, "-f", Write("dependent", $$"""
                apiVersion: v1
                kind: ConfigMap
                metadata:
                  name: dependent-{{cascade}}
                  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: owner-{{cascade}}, uid: "{{owner["metadata"]!["uid"]}}", blockOwnerDeletion: true}]
                """));

            // kubectl waits until the owner is gone, which the orphan and foregroundDeletion finalizers hold up
            // until the garbage collector has done its part.
            await server.KubectlOkAsync(minor, "delete", "-n", ns, "configmap", "owner-" + cascade, "--cascade=" + cascade, "--timeout=60s");
            if (cascade == "orphan")
            {
                var dependent = JsonNode.Parse(await server.KubectlOkAsync(minor, "get", "-n", ns, "configmap", "dependent-orphan", "-o", "json"))!;
                Assert.Null(dependent["metadata"]!["ownerReferences"]);
            }
            else
            {
                await Eventually.WaitAsync(async () => (await server.KubectlAsync(minor, "get", "-n", ns, "configmap", "dependent-" + cascade)).ExitCode != 0, TimeSpan.FromSeconds(30), "the dependent to be collected");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Explain_dry_run_and_strict_validation_work_without_workarounds(int minor)
    {
        var explained = await server.KubectlOkAsync(minor, "explain", "pod.spec.containers");
        Assert.Contains("containers", explained, StringComparison.Ordinal);
        Assert.Matches(@"image\s+<string>", explained);

        var ns = await NamespaceAsync(minor);
        var good = Write("cm", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: dry}
            data: {a: "1"}
            """);
        Assert.Contains("configmap/dry created (server dry run)", await server.KubectlOkAsync(minor, "create", "-n", ns, "-f", good, "--dry-run=server"), StringComparison.Ordinal);
        Assert.NotEqual(0, (await server.KubectlAsync(minor, "get", "-n", ns, "configmap", "dry")).ExitCode);

        var bad = Write("bad", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: bad, colour: blue}
            data: {a: "1"}
            """);
        var (code, _, stderr) = await server.KubectlAsync(minor, "create", "-n", ns, "-f", bad);
        Assert.NotEqual(0, code);
        Assert.Contains("unknown field \"metadata.colour\"", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Server_side_apply_records_ownership_reports_conflicts_and_takes_over_when_forced(int minor)
    {
        var ns = await NamespaceAsync(minor);
        string Manifest(string k, string extra) => $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ssa, namespace: {ns}}}\ndata: {{k: {k}{extra}}}\n";
        var file = Write("ssa", Manifest("one", ", j: keep"));
        await server.KubectlOkAsync(minor, "apply", "-f", file);

        File.WriteAllText(file, Manifest("two", ", j: keep"));
        var (code, _, stderr) = await server.KubectlAsync(minor, "apply", "--server-side", "-f", file);
        Assert.NotEqual(0, code);
        Assert.Contains("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: .data.k", stderr, StringComparison.Ordinal);

        Assert.Contains("serverside-applied", await server.KubectlOkAsync(minor, "apply", "--server-side", "--force-conflicts", "-f", file), StringComparison.Ordinal);
        var live = JsonNode.Parse(await server.KubectlOkAsync(minor, "get", "-n", ns, "configmap", "ssa", "-o", "json", "--show-managed-fields"))!;
        Assert.Equal("two", live["data"]!["k"]!.ToString());
        var managers = live["metadata"]!["managedFields"]!.AsArray();
        var apply = managers.Single(m => m!["operation"]!.ToString() == "Apply")!;
        Assert.Equal("kubectl", apply["manager"]!.ToString());
        Assert.NotNull(apply["fieldsV1"]!["f:data"]!["f:k"]);
        var csa = managers.Single(m => m!["manager"]!.ToString() == "kubectl-client-side-apply")!;
        Assert.Null(csa["fieldsV1"]!["f:data"]!["f:k"]);

        // A field the applier stops applying goes, unless another manager still owns it ("j" is co-owned).
        File.WriteAllText(file, Manifest("two", ""));
        await server.KubectlOkAsync(minor, "apply", "--server-side", "-f", file);
        var after = JsonNode.Parse(await server.KubectlOkAsync(minor, "get", "-n", ns, "configmap", "ssa", "-o", "json"))!;
        Assert.Equal("keep", after["data"]!["j"]!.ToString());

        var fresh = Write("ssa-new", $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: created-by-ssa, namespace: {ns}}}\ndata: {{a: b}}\n");
        await server.KubectlOkAsync(minor, "apply", "--server-side", "-f", fresh);
        File.WriteAllText(fresh, $"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: created-by-ssa, namespace: {ns}}}\ndata: {{c: d}}\n");
        await server.KubectlOkAsync(minor, "apply", "--server-side", "-f", fresh);
        var pruned = JsonNode.Parse(await server.KubectlOkAsync(minor, "get", "-n", ns, "configmap", "created-by-ssa", "-o", "json"))!;
        Assert.Equal("""{"c":"d"}""", pruned["data"]!.ToJsonString());
    }

    // The typed "create" commands: JSON bodies up to 1.31, protobuf from 1.32 on; the stored objects are the same.
    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Typed_create_commands_store_what_they_mean(int minor)
    {
        var ns = await NamespaceAsync(minor);
        string[][] commands =
        [
            ["create", "configmap", "cm", "--from-literal=a=1", "--from-literal=b=two"],
            ["create", "secret", "generic", "sec", "--from-literal=password=s3cret"],
            ["create", "secret", "docker-registry", "pull", "--docker-server=r.example", "--docker-username=u", "--docker-password=p"],
            ["create", "serviceaccount", "bot"],
            ["create", "service", "nodeport", "np", "--tcp=80:8080"],
            ["create", "deployment", "web", "--image=nginx:1.25", "--replicas=2", "--port=80"],
            ["create", "job", "once", "--image=busybox", "--", "true"],
            ["create", "cronjob", "often", "--image=busybox", "--schedule=*/5 * * * *"],
            ["create", "role", "reader", "--verb=get,list", "--resource=pods,configmaps", "--resource-name=cm"],
            ["create", "rolebinding", "readers", "--role=reader", "--user=alice", "--group=devs", "--serviceaccount=" + ns + ":bot"],
            ["create", "poddisruptionbudget", "budget", "--selector=app=web", "--min-available=50%"],
            ["create", "quota", "limits", "--hard=cpu=2,pods=10,requests.memory=1Gi"],
            ["create", "ingress", "entry", "--rule=web.example/api*=np:8080"],
        ];
        foreach (var command in commands)
        {
            await server.KubectlOkAsync(minor, ["-n", ns, .. command]);
        }

        var pc = "pc-" + ns;
        await server.KubectlOkAsync(minor, "create", "priorityclass", pc, "--value=-7", "--description=low");
        var token = (await server.KubectlOkAsync(minor, "create", "token", "bot", "-n", ns, "--duration=15m")).Trim();
        Assert.Equal(3, token.Split('.').Length);

        async Task<JsonNode> Get(params string[] args) => JsonNode.Parse(await server.KubectlOkAsync(minor, [.. args, "-n", ns, "-o", "json"]))!;
        var cm = await Get("get", "configmap", "cm");
        Assert.Equal("1", cm["data"]!["a"]!.ToString());
        Assert.Equal("two", cm["data"]!["b"]!.ToString());
        var secret = await Get("get", "secret", "sec");
        Assert.Equal("Opaque", secret["type"]!.ToString());
        Assert.Equal("s3cret", System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(secret["data"]!["password"]!.ToString())));
        Assert.Equal("kubernetes.io/dockerconfigjson", (await Get("get", "secret", "pull"))["type"]!.ToString());
        var service = await Get("get", "service", "np");
        Assert.Equal("NodePort", service["spec"]!["type"]!.ToString());
        Assert.Equal(80, service["spec"]!["ports"]![0]!["port"]!.GetValue<int>());
        Assert.Equal(8080, service["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());
        Assert.InRange(service["spec"]!["ports"]![0]!["nodePort"]!.GetValue<int>(), 30000, 32767);
        var deployment = await Get("get", "deployment", "web");
        Assert.Equal(2, deployment["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("25%", deployment["spec"]!["strategy"]!["rollingUpdate"]!["maxSurge"]!.ToString());
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("nginx:1.25", container["image"]!.ToString());
        Assert.Equal("IfNotPresent", container["imagePullPolicy"]!.ToString());
        Assert.Equal(80, container["ports"]![0]!["containerPort"]!.GetValue<int>());
        Assert.Equal("true", (await Get("get", "job", "once"))["spec"]!["template"]!["spec"]!["containers"]![0]!["command"]![0]!.ToString());
        Assert.Equal("*/5 * * * *", (await Get("get", "cronjob", "often"))["spec"]!["schedule"]!.ToString());
        var role = await Get("get", "role", "reader");
        Assert.Equal(["cm"], role["rules"]![0]!["resourceNames"]!.AsArray().Select(n => n!.ToString()));
        var binding = await Get("get", "rolebinding", "readers");
        Assert.Equal(["alice", "devs", "bot"], binding["subjects"]!.AsArray().Select(n => n!["name"]!.ToString()));
        Assert.Equal("50%", (await Get("get", "pdb", "budget"))["spec"]!["minAvailable"]!.ToString());
        Assert.Equal("1Gi", (await Get("get", "quota", "limits"))["spec"]!["hard"]!["requests.memory"]!.ToString());
        var rule = (await Get("get", "ingress", "entry"))["spec"]!["rules"]![0]!;
        Assert.Equal("web.example", rule["host"]!.ToString());
        Assert.Equal("Prefix", rule["http"]!["paths"]![0]!["pathType"]!.ToString());
        Assert.Equal(8080, rule["http"]!["paths"]![0]!["backend"]!["service"]!["port"]!["number"]!.GetValue<int>());
        var priority = JsonNode.Parse(await server.KubectlOkAsync(minor, "get", "priorityclass", pc, "-o", "json"))!;
        Assert.Equal(-7, priority["value"]!.GetValue<int>());
        Assert.Equal("low", priority["description"]!.ToString());
        await server.KubectlOkAsync(minor, "delete", "priorityclass", pc);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Invalid_objects_are_refused_with_the_field_and_the_reason(int minor)
    {
        var ns = await NamespaceAsync(minor);
        var file = Write("invalid", """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: Bad_Name}
            """);
        var (code, _, stderr) = await server.KubectlAsync(minor, "create", "-n", ns, "-f", file);
        Assert.NotEqual(0, code);
        Assert.Contains("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain", stderr, StringComparison.Ordinal);

        var (existsCode, _, existsErr) = await server.KubectlAsync(minor, "create", "-f", Write("ns", $"{{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{{\"name\":\"{ns}\"}}}}"));
        Assert.NotEqual(0, existsCode);
        Assert.Contains($"namespaces \"{ns}\" already exists", existsErr, StringComparison.Ordinal);
    }
}

[Collection("kubectl-memory")]
public sealed class KubectlOnMemoryTests(MemoryApiServerFixture server) : KubectlTests(server), IClassFixture<MemoryApiServerFixture>;

[Collection("kubectl-etcd")]
public sealed class KubectlOnEtcdTests(EtcdApiServerFixture server) : KubectlTests(server), IClassFixture<EtcdApiServerFixture>;
