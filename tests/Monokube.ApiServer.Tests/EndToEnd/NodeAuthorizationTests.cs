using System.Text.Json.Nodes;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>
/// A kubelet's identity (system:node:&lt;name&gt; in system:nodes) under the Node authorizer and NodeRestriction:
/// its own Node and Lease, the pods bound to it and only what those pods use.
/// </summary>
public sealed class NodeAuthorizationTests(SecureApiServerFixture server) : IClassFixture<SecureApiServerFixture>
{
    private sealed record Cluster(string Ns, string NodeA, string NodeB, string KubeconfigA, string PodAUid);

    // Two nodes (a registers itself), a pod on each; pod a uses secret "used", configmap "used" and service account
    // "runner", pod b uses secret "other".
    private async Task<Cluster> ClusterAsync()
    {
        var ns = server.NewNamespace();
        var nodeA = "node-a-" + ns[2..];
        var nodeB = "node-b-" + ns[2..];
        var kubeconfigA = server.KubeconfigForUser("system:node:" + nodeA, "system:nodes");
        await server.AdminAsync("create", "namespace", ns);
        await server.KubectlOkAsync(kubeconfigA, "create", "-f", Write($$$$"""{"apiVersion":"v1","kind":"Node","metadata":{"name":"{{{{nodeA}}}}","labels":{"kubernetes.io/hostname":"{{{{nodeA}}}}"}}}"""));
        await server.AdminAsync("create", "-f", Write($$$"""{"apiVersion":"v1","kind":"Node","metadata":{"name":"{{{nodeB}}}"}}"""));
        foreach (var secret in new[] { "used", "other", "unused" })
        {
            await server.AdminAsync("create", "secret", "generic", secret, "-n", ns, "--from-literal=k=v");
        }

        await server.AdminAsync("create", "configmap", "used", "-n", ns, "--from-literal=k=v");
        await server.AdminAsync("create", "serviceaccount", "runner", "-n", ns);
        await server.AdminAsync("create", "-n", ns, "-f", Write($$$$"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"pod-a"},"spec":{"nodeName":"{{{{nodeA}}}}","serviceAccountName":"runner",
              "containers":[{"name":"c","image":"busybox","env":[{"name":"S","valueFrom":{"secretKeyRef":{"name":"used","key":"k"}}}]}],
              "volumes":[{"name":"cm","configMap":{"name":"used"}},
                         {"name":"token","projected":{"sources":[{"serviceAccountToken":{"path":"token","expirationSeconds":3600}}]}}]}}
            """));
        await server.AdminAsync("create", "-n", ns, "-f", Write($$$"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"pod-b"},"spec":{"nodeName":"{{{nodeB}}}",
              "containers":[{"name":"c","image":"busybox"}],"volumes":[{"name":"s","secret":{"secretName":"other"}}]}}
            """));
        var uid = (await server.AdminAsync("get", "pod", "pod-a", "-n", ns, "-o", "jsonpath={.metadata.uid}")).Trim();
        return new Cluster(ns, nodeA, nodeB, kubeconfigA, uid);
    }

    private async Task<string> RefusedAsync(string kubeconfig, params string[] args)
    {
        var (code, stdout, stderr) = await server.KubectlAsync(kubeconfig, args);
        Assert.True(code != 0, $"kubectl {string.Join(' ', args)} should have been refused:\n{stdout}");
        return stderr;
    }

    [Fact]
    public async Task A_node_reads_only_what_its_pods_use()
    {
        var (ns, nodeA, nodeB, kubeconfig, _) = await ClusterAsync();

        await server.KubectlOkAsync(kubeconfig, "get", "secret", "used", "-n", ns);
        await server.KubectlOkAsync(kubeconfig, "get", "configmap", "used", "-n", ns);
        await server.KubectlOkAsync(kubeconfig, "get", "pod", "pod-a", "-n", ns);
        await server.KubectlOkAsync(kubeconfig, "get", "node", nodeA);
        await server.KubectlOkAsync(kubeconfig, "get", "pods", "-A", "--field-selector", "spec.nodeName=" + nodeA);

        Assert.Contains(
            $"Error from server (Forbidden): secrets \"other\" is forbidden: User \"system:node:{nodeA}\" cannot get resource \"secrets\" in API group \"\" in the namespace \"{ns}\": no relationship found between node '{nodeA}' and this object",
            await RefusedAsync(kubeconfig, "get", "secret", "other", "-n", ns), StringComparison.Ordinal);
        Assert.Contains("No Object name found", await RefusedAsync(kubeconfig, "get", "secrets", "-n", ns), StringComparison.Ordinal);
        Assert.Contains("no relationship found", await RefusedAsync(kubeconfig, "get", "pod", "pod-b", "-n", ns), StringComparison.Ordinal);
        Assert.Contains($"node '{nodeA}' cannot read '{nodeB}', only its own Node object", await RefusedAsync(kubeconfig, "get", "node", nodeB), StringComparison.Ordinal);
        Assert.Contains("can only list/watch pods with spec.nodeName field selector", await RefusedAsync(kubeconfig, "get", "pods", "-A"), StringComparison.Ordinal);

        // A pod bound later is seen at once: the node may read its secret as soon as the binding is stored.
        await server.AdminAsync("create", "-n", ns, "-f", Write($$$"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"pod-late"},"spec":{"nodeName":"{{{nodeA}}}",
              "containers":[{"name":"c","image":"busybox"}],"volumes":[{"name":"s","secret":{"secretName":"unused"}}]}}
            """));
        await server.KubectlOkAsync(kubeconfig, "get", "secret", "unused", "-n", ns);
    }

    [Fact]
    public async Task A_node_writes_only_its_own_node_lease_and_pod_status()
    {
        var (ns, nodeA, nodeB, kubeconfig, _) = await ClusterAsync();

        await server.KubectlOkAsync(kubeconfig, "label", "node", nodeA, "node.kubernetes.io/instance-type=small", "example.com/team=blue");
        // Status is written as a kubelet writes it: a PATCH without reading first (the node may not read */status).
        using var kubelet = KubeletHttp(nodeA);
        Assert.Equal("", await PatchAsync(kubelet, $"/api/v1/nodes/{nodeA}/status", """{"status":{"conditions":[{"type":"Ready","status":"True"}]}}"""));
        Assert.Equal("", await PatchAsync(kubelet, $"/api/v1/namespaces/{ns}/pods/pod-a/status", """{"status":{"phase":"Running"}}"""));
        await server.KubectlOkAsync(kubeconfig, "create", "-n", "kube-node-lease", "-f", Write($$$"""{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"{{{nodeA}}}"},"spec":{"holderIdentity":"{{{nodeA}}}","leaseDurationSeconds":40}}"""));

        Assert.Contains(
            $"Error from server (Forbidden): nodes \"{nodeA}\" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/control-plane",
            await RefusedAsync(kubeconfig, "label", "node", nodeA, "node-role.kubernetes.io/control-plane="), StringComparison.Ordinal);
        Assert.Contains(
            $"nodes \"{nodeA}\" is forbidden: node \"{nodeA}\" is not allowed to modify taints",
            await RefusedAsync(kubeconfig, "taint", "node", nodeA, "dedicated=x:NoSchedule"), StringComparison.Ordinal);
        Assert.Equal(
            $"nodes \"{nodeB}\" is forbidden: node \"{nodeA}\" is not allowed to modify node \"{nodeB}\"",
            await PatchAsync(kubelet, $"/api/v1/nodes/{nodeB}/status", """{"status":{"conditions":[{"type":"Ready","status":"False"}]}}"""));
        Assert.Equal(
            $"pods \"pod-b\" is forbidden: node \"{nodeA}\" can only update pod status for pods with spec.nodeName set to itself",
            await PatchAsync(kubelet, $"/api/v1/namespaces/{ns}/pods/pod-b/status", """{"status":{"phase":"Failed"}}"""));
        Assert.Contains(
            $"pods \"pod-b\" is forbidden: node \"{nodeA}\" can only delete pods with spec.nodeName set to itself",
            await RefusedAsync(kubeconfig, "delete", "pod", "pod-b", "-n", ns, "--wait=false"), StringComparison.Ordinal);
        Assert.Contains(
            "can only access node lease with the same name as the requesting node",
            await RefusedAsync(kubeconfig, "create", "-n", "kube-node-lease", "-f", Write($$$"""{"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":"{{{nodeB}}}"}}""")), StringComparison.Ordinal);
        Assert.Equal("Running", (await server.AdminAsync("get", "pod", "pod-a", "-n", ns, "-o", "jsonpath={.status.phase}")).Trim());
        Assert.Equal("", (await server.AdminAsync("get", "pod", "pod-b", "-n", ns, "-o", "jsonpath={.metadata.deletionTimestamp}")).Trim());
    }

    [Fact]
    public async Task A_node_creates_only_mirror_pods_owned_by_itself_and_tokens_for_its_pods()
    {
        var (ns, nodeA, _, kubeconfig, podUid) = await ClusterAsync();
        var nodeUid = (await server.AdminAsync("get", "node", nodeA, "-o", "jsonpath={.metadata.uid}")).Trim();

        Assert.Contains(
            $"pod does not have \"kubernetes.io/config.mirror\" annotation, node \"{nodeA}\" can only create mirror pods",
            await RefusedAsync(kubeconfig, "create", "-n", ns, "-f", Write($$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"plain"},"spec":{"nodeName":"{{{nodeA}}}","containers":[{"name":"c","image":"busybox"}]}}""")),
            StringComparison.Ordinal);
        var mirror = $$$"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"static-{{{nodeA}}}","annotations":{"kubernetes.io/config.mirror":"abc"},
              "ownerReferences":[{"apiVersion":"v1","kind":"Node","name":"{{{nodeA}}}","uid":"{{{nodeUid}}}","controller":true}]},
             "spec":{"nodeName":"{{{nodeA}}}","containers":[{"name":"c","image":"busybox"}]}}
            """;
        await server.KubectlOkAsync(kubeconfig, "create", "-n", ns, "-f", Write(mirror));
        // kube's ServiceAccount admission refuses these mirror pods (whoever creates them) before NodeRestriction.
        Assert.Contains(
            "a mirror pod may not reference secrets",
            await RefusedAsync(kubeconfig, "create", "-n", ns, "-f", Write(mirror.Replace("static-", "secretive-", StringComparison.Ordinal).Replace("\"containers\"", "\"volumes\":[{\"name\":\"s\",\"secret\":{\"secretName\":\"used\"}}],\"containers\"", StringComparison.Ordinal))),
            StringComparison.Ordinal);
        Assert.Contains(
            "a mirror pod may not use ServiceAccountToken volume projections",
            await RefusedAsync(kubeconfig, "create", "-n", ns, "-f", Write(mirror.Replace("static-", "tokened-", StringComparison.Ordinal).Replace("\"containers\"", "\"volumes\":[{\"name\":\"t\",\"projected\":{\"sources\":[{\"serviceAccountToken\":{\"path\":\"token\"}}]}}],\"containers\"", StringComparison.Ordinal))),
            StringComparison.Ordinal);

        var token = (await server.KubectlOkAsync(kubeconfig, "create", "token", "runner", "-n", ns, "--bound-object-kind=Pod", "--bound-object-name=pod-a", "--bound-object-uid=" + podUid)).Trim();
        Assert.Equal(3, token.Split('.').Length);
        Assert.Contains(
            "node requested token not bound to a pod",
            await RefusedAsync(kubeconfig, "create", "token", "runner", "-n", ns), StringComparison.Ordinal);
        var unrelated = await RefusedAsync(kubeconfig, "create", "token", "default", "-n", ns, "--bound-object-kind=Pod", "--bound-object-name=pod-a", "--bound-object-uid=" + podUid);
        Assert.True(unrelated.Contains("no relationship found", StringComparison.Ordinal), unrelated);
    }

    private HttpClient KubeletHttp(string node)
    {
        var (cert, key) = server.IssueClientCertificate("system:node:" + node, "system:nodes");
        return server.Http(clientCertificate: System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(cert, key));
    }

    // A merge patch; returns "" on success, else the Status message.
    private static async Task<string> PatchAsync(HttpClient http, string path, string patch)
    {
        using var content = new StringContent(patch, System.Text.Encoding.UTF8, "application/merge-patch+json");
        using var response = await http.PatchAsync(path, content, TestContext.Current.CancellationToken);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;
        return response.IsSuccessStatusCode ? "" : body["message"]!.ToString();
    }

    private string Write(string json)
    {
        var path = Path.Combine(server.CertDir, "..", "obj-" + Guid.NewGuid().ToString("N")[..8] + ".json");
        File.WriteAllText(path, json);
        return path;
    }
}
