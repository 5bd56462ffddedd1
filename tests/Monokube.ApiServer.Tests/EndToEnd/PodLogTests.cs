using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.TestSupport;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>
/// pods/log driven by real `kubectl logs`: the server finds the pod's node, dials its kubelet (the in-test
/// <see cref="ContainerLogServer"/>) at the preferred address and the reported port with its kubelet client
/// certificate, and streams the logs back; and kube-apiserver's refusals for what cannot be served.
/// </summary>
public sealed class PodLogTests(SecureApiServerFixture server, MemoryApiServerFixture plain)
    : IClassFixture<SecureApiServerFixture>, IClassFixture<MemoryApiServerFixture>, IAsyncLifetime
{
    private ContainerLogServer _kubelet = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _kubelet = await ContainerLogServer.StartAsync(requireClientCertificate: true);

    public async ValueTask DisposeAsync() => await _kubelet.DisposeAsync();

    [Fact]
    public async Task Kubectl_logs_streams_the_kubelets_logs_and_the_kubelet_sees_the_apiservers_certificate()
    {
        var (ns, pod) = await BoundPodAsync(_kubelet.Port, "app");

        var logs = await server.AdminAsync("logs", "-n", ns, pod);

        Assert.Equal("line 1\nline 2\nline 3\nline 4\nline 5\n", logs);
        var (path, subject) = Assert.Single(_kubelet.Requests);
        Assert.Equal($"/containerLogs/{ns}/{pod}/app", path);
        Assert.Equal($"CN={SecureApiServerFixture.KubeletClientName}, O=system:masters", subject);
    }

    [Fact]
    public async Task Container_tail_and_timestamps_reach_the_kubelet()
    {
        var (ns, pod) = await BoundPodAsync(_kubelet.Port, "app", "sidecar");

        Assert.Equal("sidecar says hi\n", await server.AdminAsync("logs", "-n", ns, pod, "-c", "sidecar"));
        Assert.Equal(
            "2025-01-02T03:04:04.000000000Z line 4\n2025-01-02T03:04:05.000000000Z line 5\n",
            await server.AdminAsync("logs", "-n", ns, pod, "-c", "app", "--tail=2", "--timestamps"));
        Assert.Equal("line 1\nli", await server.AdminAsync("logs", "-n", ns, pod, "-c", "app", "--limit-bytes=9"));

        Assert.Equal(
            [$"/containerLogs/{ns}/{pod}/sidecar", $"/containerLogs/{ns}/{pod}/app?tailLines=2&timestamps=true", $"/containerLogs/{ns}/{pod}/app?limitBytes=9"],
            _kubelet.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task Follow_streams_lines_as_the_kubelet_writes_them_until_the_client_goes_away()
    {
        var (ns, pod) = await BoundPodAsync(_kubelet.Port, "app");

        await using (var follow = Kubectl.Start(Kubectl.Find(null), server.AdminKubeconfig, "logs", "-f", "-n", ns, pod))
        {
            await follow.WaitForOutputAsync(o => o.Contains("tick 3\n", StringComparison.Ordinal), TimeSpan.FromSeconds(20), "three ticks of a followed log");
            Assert.StartsWith("line 1\nline 2\nline 3\nline 4\nline 5\ntick 1\ntick 2\ntick 3\n", follow.Stdout, StringComparison.Ordinal);
        }

        // kubectl is gone: the server lets go of the kubelet's stream too.
        await _kubelet.FollowAbandoned.Task.WaitAsync(TimeSpan.FromSeconds(20), Token);
        Assert.Equal($"/containerLogs/{ns}/{pod}/app?follow=true", Assert.Single(_kubelet.Requests).PathAndQuery);
    }

    [Fact]
    public async Task What_cannot_be_served_gets_kube_apiservers_errors()
    {
        var (ns, pod) = await BoundPodAsync(_kubelet.Port, "app", "sidecar", "waiting");

        Assert.Contains(
            $"Error from server (BadRequest): container \"waiting\" in pod \"{pod}\" is waiting to start: ContainerCreating",
            await RefusedAsync("logs", "-n", ns, pod, "-c", "waiting"), StringComparison.Ordinal);

        // kubectl picks a container itself and checks a named one; the API answers such requests with kube's 400s.
        using var http = server.AdminHttp();
        var status = await StatusAsync(http, $"/api/v1/namespaces/{ns}/pods/{pod}/log", HttpStatusCode.BadRequest);
        Assert.Equal($"a container name must be specified for pod {pod}, choose one of: [app sidecar waiting]", status["message"]!.ToString());
        status = await StatusAsync(http, $"/api/v1/namespaces/{ns}/pods/missing/log", HttpStatusCode.NotFound);
        Assert.Equal("pods \"missing\" not found", status["message"]!.ToString());
        status = await StatusAsync(http, $"/api/v1/namespaces/{ns}/pods/{pod}/log?container=nope", HttpStatusCode.BadRequest);
        Assert.Equal($"container nope is not valid for pod {pod}", status["message"]!.ToString());

        status = await StatusAsync(http, $"/api/v1/namespaces/{ns}/pods/{pod}/log?container=app&tailLines=-1", HttpStatusCode.UnprocessableEntity);
        Assert.Equal($"PodLogOptions \"{pod}\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0", status["message"]!.ToString());
        status = await StatusAsync(http, $"/api/v1/namespaces/{ns}/pods/{pod}/log?container=app&limitBytes=0", HttpStatusCode.UnprocessableEntity);
        Assert.Equal("limitBytes", status["details"]!["causes"]![0]!["field"]!.ToString());
        await StatusAsync(http, $"/api/v1/namespaces/{ns}/pods/{pod}/log?container=app&tailLines=ten", HttpStatusCode.BadRequest);
        Assert.All(_kubelet.Requests, r => Assert.EndsWith("/waiting", r.PathAndQuery, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unreachable_kubelet_is_an_error_that_names_the_request()
    {
        var closedPort = FreePort.Next();
        var (ns, pod) = await BoundPodAsync(closedPort, "app");

        var stderr = await RefusedAsync("logs", "-n", ns, pod);

        Assert.Contains($"Error from server: Get \"https://127.0.0.1:{closedPort}/containerLogs/{ns}/{pod}/app\": ", stderr, StringComparison.Ordinal);
        Assert.Contains("refused", stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_pod_not_bound_to_a_node_has_no_logs_yet()
    {
        var ns = server.NewNamespace();
        await server.AdminAsync("create", "namespace", ns);
        using var http = server.AdminHttp();
        await CreateAsync(http, $"/api/v1/namespaces/{ns}/pods", Pod("pending", null, "app"));

        Assert.Equal("", await server.AdminAsync("logs", "-n", ns, "pending"));
        using var response = await http.GetAsync($"/api/v1/namespaces/{ns}/pods/pending/log", Token);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Empty(_kubelet.Requests);
    }

    [Fact]
    public async Task Reading_logs_needs_get_on_pods_log()
    {
        var (ns, pod) = await BoundPodAsync(_kubelet.Port, "app");
        var viewer = server.KubeconfigForUser("log-reader-" + ns);
        await server.AdminAsync("create", "role", "pods-only", "-n", ns, "--verb=get,list", "--resource=pods");
        await server.AdminAsync("create", "rolebinding", "pods-only", "-n", ns, "--role=pods-only", "--user=log-reader-" + ns);

        var (code, _, stderr) = await server.KubectlAsync(viewer, "logs", "-n", ns, pod);
        Assert.NotEqual(0, code);
        Assert.Contains($"pods \"{pod}\" is forbidden: User \"log-reader-{ns}\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"{ns}\"", stderr, StringComparison.Ordinal);
        Assert.Empty(_kubelet.Requests);

        await server.AdminAsync("create", "role", "logs", "-n", ns, "--verb=get", "--resource=pods/log");
        await server.AdminAsync("create", "rolebinding", "logs", "-n", ns, "--role=logs", "--user=log-reader-" + ns);
        Assert.Equal("line 1\nline 2\nline 3\nline 4\nline 5\n", await server.KubectlOkAsync(viewer, "logs", "-n", ns, pod));
    }

    [Fact]
    public async Task Plain_http_serving_dials_the_kubelet_without_a_client_certificate()
    {
        await using var kubelet = await ContainerLogServer.StartAsync(requireClientCertificate: false);
        var ns = plain.NewNamespace();
        await plain.KubectlOkAsync(null, "create", "namespace", ns);
        var node = "log-node-" + ns[2..];
        await CreateAsync(plain.Http, "/api/v1/nodes", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["metadata"] = new JsonObject { ["name"] = node } });
        await SetNodeStatusAsync(plain.Http, node, kubelet.Port);
        await CreateAsync(plain.Http, $"/api/v1/namespaces/{ns}/pods", Pod("p", node, "app"));

        Assert.Equal("line 1\nline 2\nline 3\nline 4\nline 5\n", await plain.KubectlOkAsync(null, "logs", "-n", ns, "p"));
        Assert.Null(Assert.Single(kubelet.Requests).ClientSubject);
    }

    // A namespace, a Node whose status points at a kubelet on 127.0.0.1:port, and a pod bound to it.
    private async Task<(string Ns, string Pod)> BoundPodAsync(int kubeletPort, params string[] containers)
    {
        var ns = server.NewNamespace();
        var node = "log-node-" + ns[2..];
        await server.AdminAsync("create", "namespace", ns);
        using var http = server.AdminHttp();
        await CreateAsync(http, "/api/v1/nodes", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["metadata"] = new JsonObject { ["name"] = node } });
        await SetNodeStatusAsync(http, node, kubeletPort);
        await CreateAsync(http, $"/api/v1/namespaces/{ns}/pods", Pod("logger", node, containers));
        return (ns, "logger");
    }

    // Through the status subresource, as a kubelet reports it; the Hostname address comes first but InternalIP is
    // preferred by default.
    private static async Task SetNodeStatusAsync(HttpClient http, string node, int port)
    {
        var patch = new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["addresses"] = new JsonArray(
                    (JsonNode)new JsonObject { ["type"] = "Hostname", ["address"] = "kubelet.invalid" },
                    new JsonObject { ["type"] = "InternalIP", ["address"] = "127.0.0.1" }),
                ["daemonEndpoints"] = new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = port } },
            },
        };
        using var content = new StringContent(patch.ToJsonString(), Encoding.UTF8, "application/merge-patch+json");
        using var response = await http.PatchAsync($"/api/v1/nodes/{node}/status", content, Token);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Token));
    }

    private static JsonObject Pod(string name, string? node, params string[] containers)
    {
        var spec = new JsonObject { ["containers"] = new JsonArray([.. containers.Select(c => (JsonNode)new JsonObject { ["name"] = c, ["image"] = "busybox" })]) };
        if (node is not null)
        {
            spec["nodeName"] = node;
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec };
    }

    private static async Task CreateAsync(HttpClient http, string path, JsonObject body)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(path, content, Token);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Token));
    }

    private static async Task<JsonNode> StatusAsync(HttpClient http, string path, HttpStatusCode expected)
    {
        using var response = await http.GetAsync(path, Token);
        var body = await response.Content.ReadAsStringAsync(Token);
        Assert.True(response.StatusCode == expected, $"{path}: {(int)response.StatusCode} {body}");
        var status = JsonNode.Parse(body)!;
        Assert.Equal("Status", status["kind"]!.ToString());
        Assert.Equal((int)expected, status["code"]!.GetValue<int>());
        return status;
    }

    private async Task<string> RefusedAsync(params string[] args)
    {
        var (code, stdout, stderr) = await server.KubectlAsync(server.AdminKubeconfig, args);
        Assert.True(code != 0, $"kubectl {string.Join(' ', args)} should have failed:\n{stdout}");
        return stderr;
    }
}
