using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Monokube.TestSupport;

namespace Monokube.Differential.Tests;

/// <summary>
/// The real kube-controller-manager and kube-scheduler v1.26.1 work unchanged on monokube: leases, service accounts
/// and root CAs, Deployments rolled out and back, DaemonSets, Jobs, CSR approval and signing for a bootstrapping
/// node, cascading and namespace deletion, node lifecycle; and their logs show no error that monokube causes.
/// </summary>
public sealed partial class RealComponentsOnMonokubeTests(RealComponentsOnMonokube cluster) : IClassFixture<RealComponentsOnMonokube>
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_real_controller_manager_and_scheduler_run_a_cluster_on_monokube()
    {
        KubernetesBinaries.SkipUnlessPresent();

        // Leader election on kube-system Leases, and the service accounts and root CA of a new namespace.
        foreach (var lease in new[] { "kube-controller-manager", "kube-scheduler" })
        {
            await Eventually.WaitAsync(async () => (await cluster.GetAsync("/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/" + lease))?["spec"]?["holderIdentity"] is not null, Long, lease + " to be led");
        }

        await cluster.KubectlOkAsync("create", "namespace", "demo");
        await Eventually.WaitAsync(async () => await cluster.GetAsync("/api/v1/namespaces/demo/serviceaccounts/default") is not null
            && await cluster.GetAsync("/api/v1/namespaces/demo/configmaps/kube-root-ca.crt") is not null, Long, "the default ServiceAccount and kube-root-ca.crt");

        // A Deployment scheduled onto the simulated nodes, rolled out, changed and rolled back.
        await Eventually.WaitAsync(async () => (await cluster.KubectlAsync("get", "nodes", "sim-0", "sim-1")).ExitCode == 0, Long, "the simulated nodes");
        await cluster.KubectlOkAsync("create", "deployment", "web", "-n", "demo", "--image=nginx:1.25", "--replicas=3");
        await cluster.KubectlOkAsync("rollout", "status", "deployment/web", "-n", "demo", "--timeout=90s");
        var pods = JsonNode.Parse(await cluster.KubectlOkAsync("get", "pods", "-n", "demo", "-l", "app=web", "-o", "json"))!["items"]!.AsArray();
        Assert.All(pods, p => Assert.StartsWith("sim-", p!["spec"]!["nodeName"]!.ToString(), StringComparison.Ordinal));
        await cluster.KubectlOkAsync("set", "image", "deployment/web", "-n", "demo", "nginx=nginx:1.27");
        await cluster.KubectlOkAsync("rollout", "status", "deployment/web", "-n", "demo", "--timeout=90s");
        await cluster.KubectlOkAsync("rollout", "undo", "deployment/web", "-n", "demo");
        await cluster.KubectlOkAsync("rollout", "status", "deployment/web", "-n", "demo", "--timeout=90s");
        Assert.Equal("nginx:1.25", (await cluster.KubectlOkAsync("get", "deployment", "web", "-n", "demo", "-o", "jsonpath={.spec.template.spec.containers[0].image}")).Trim());

        // A DaemonSet runs on each node; a Job completes.
        await cluster.KubectlOkAsync("create", "-n", "demo", "-f", Write("ds.json", """
            {"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"agent"},"spec":{"selector":{"matchLabels":{"app":"agent"}},
             "template":{"metadata":{"labels":{"app":"agent"}},"spec":{"containers":[{"name":"a","image":"busybox"}]}}}}
            """));
        await cluster.KubectlOkAsync("rollout", "status", "daemonset/agent", "-n", "demo", "--timeout=90s");
        Assert.Equal("2", (await cluster.KubectlOkAsync("get", "daemonset", "agent", "-n", "demo", "-o", "jsonpath={.status.numberReady}")).Trim());
        await cluster.KubectlOkAsync("create", "job", "once", "-n", "demo", "--image=busybox");
        await cluster.KubectlOkAsync("wait", "--for=condition=Complete", "job/once", "-n", "demo", "--timeout=90s");

        // Foreground cascading deletion of the Deployment ends after its ReplicaSets and pods.
        await cluster.KubectlOkAsync("delete", "deployment", "web", "-n", "demo", "--cascade=foreground", "--timeout=90s");
        Assert.Equal("", (await cluster.KubectlOkAsync("get", "replicasets", "-n", "demo", "-l", "app=web", "-o", "name")).Trim());

        await CsrOfABootstrappingNodeIsApprovedAndSignedAsync();

        // Deleting the namespace finishes (the namespace controller empties it).
        await cluster.KubectlOkAsync("delete", "namespace", "demo", "--timeout=90s");

        // A node that stops heartbeating is marked unreachable.
        await cluster.StopNodesAsync();
        await Eventually.WaitAsync(async () =>
            (await cluster.GetAsync("/api/v1/nodes/sim-0"))?["spec"]?["taints"] is JsonArray taints
            && taints.Any(t => t?["key"]?.ToString() == "node.kubernetes.io/unreachable"), Long, "sim-0 to be tainted unreachable");

        AssertNoErrorsCausedByMonokube("kube-controller-manager", cluster.ControllerManagerLog);
        AssertNoErrorsCausedByMonokube("kube-scheduler", cluster.SchedulerLog);
    }

    // A bootstrap token, a kubelet client CSR made with it, approved by the csrapproving controller and signed.
    private async Task CsrOfABootstrappingNodeIsApprovedAndSignedAsync()
    {
        await cluster.Api.CreateAsync("/api/v1/namespaces/kube-system/secrets", """
            {"metadata":{"name":"bootstrap-token-abcdef"},"type":"bootstrap.kubernetes.io/token",
             "stringData":{"token-id":"abcdef","token-secret":"0123456789abcdef","usage-bootstrap-authentication":"true"}}
            """);
        await cluster.Api.CreateAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", """
            {"metadata":{"name":"bootstrappers-create-csrs"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"system:node-bootstrapper"},"subjects":[{"kind":"Group","name":"system:bootstrappers"}]}
            """);
        await cluster.Api.CreateAsync("/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", """
            {"metadata":{"name":"bootstrappers-auto-approve"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"system:certificates.k8s.io:certificatesigningrequests:nodeclient"},"subjects":[{"kind":"Group","name":"system:bootstrappers"}]}
            """);
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=system:node:late, O=system:nodes", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        var pem = System.Security.Cryptography.PemEncoding.WriteString("CERTIFICATE REQUEST", request.CreateSigningRequest());
        var csr = new JsonObject
        {
            ["apiVersion"] = "certificates.k8s.io/v1",
            ["kind"] = "CertificateSigningRequest",
            ["metadata"] = new JsonObject { ["name"] = "node-csr-late" },
            ["spec"] = new JsonObject
            {
                ["request"] = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(pem)),
                ["signerName"] = "kubernetes.io/kube-apiserver-client-kubelet",
                ["usages"] = new JsonArray("digital signature", "key encipherment", "client auth"),
            },
        };
        using var bootstrap = cluster.Api.Client("abcdef.0123456789abcdef");
        var (code, body, response) = await Side.SendAsync(bootstrap, HttpMethod.Post, "/apis/certificates.k8s.io/v1/certificatesigningrequests", csr.ToJsonString());
        response.Dispose();
        Assert.True(code == 201, body.ToJsonString());
        await Eventually.WaitAsync(async () => (await cluster.GetAsync("/apis/certificates.k8s.io/v1/certificatesigningrequests/node-csr-late"))?["status"]?["certificate"] is not null,
            Long, "the CSR to be approved and signed");
    }

    // Error lines that say monokube failed a component: a resource it does not serve, a permission it does not
    // grant (RBAC's "User ... cannot"), an object kube-apiserver publishes and monokube does not, or a body it cannot
    // decode. Admission refusals kube gives too (a namespace being terminated) are not the API's fault.
    private static void AssertNoErrorsCausedByMonokube(string component, string log)
    {
        var errors = log.Split('\n').Where(l => l.StartsWith('E') || l.Contains("\"Unhandled Error\"", StringComparison.Ordinal)).ToList();
        var caused = errors.Where(l => MonokubeCaused().IsMatch(l)).ToList();
        Assert.True(caused.Count == 0, $"{component} logged {caused.Count} errors caused by the API (of {errors.Count} errors):\n{string.Join('\n', caused.Take(20))}\nall errors:\n{string.Join('\n', errors.Take(40))}");
    }

    [GeneratedRegex("could not find the requested resource|is forbidden: User|extension-apiserver-authentication|the server rejected our request|unable to decode|unsupported media type|not acceptable|the server has asked for the client to provide credentials")]
    private static partial Regex MonokubeCaused();

    private static string Write(string name, string content)
    {
        var path = Path.Combine(Path.GetTempPath(), "monokube-" + Guid.NewGuid().ToString("N")[..8] + "-" + name);
        File.WriteAllText(path, content);
        return path;
    }
}
