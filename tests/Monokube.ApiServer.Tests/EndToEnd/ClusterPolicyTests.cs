using System.Net;
using System.Security.Cryptography.X509Certificates;
using Monokube.ApiServer.Admission;
using Monokube.ApiServer.Hosting;
using Monokube.ApiServer.Security;
using Monokube.Storage.Memory;
using Monokube.TestSupport;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>
/// The cluster-wide policy flags of kube-apiserver that monokube serve honours: --allow-privileged (on by default,
/// unlike kube-apiserver, for the harnesses that relied on it) and the admission plugins it implements (NamespaceLifecycle, ServiceAccount, NodeRestriction; on by default and
/// each one switchable). Non-default settings get a server of their own.
/// </summary>
public sealed class ClusterPolicyTests(MemoryApiServerFixture server) : IClassFixture<MemoryApiServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string PrivilegedPod = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"priv"},
         "spec":{"containers":[{"name":"ok","image":"busybox","securityContext":{"privileged":false}},{"name":"root","image":"busybox","securityContext":{"privileged":true}}]}}
        """;

    private const string PrivilegedCronJob = """
        {"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"priv"},
         "spec":{"schedule":"* * * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never",
           "initContainers":[{"name":"setup","image":"busybox","securityContext":{"privileged":true}}],
           "containers":[{"name":"c","image":"busybox"}]}}}}}}
        """;

    [Fact]
    public async Task Privileged_containers_are_allowed_by_default()
    {
        using var dir = new TempDirectory();
        var ns = server.NewNamespace();
        await server.KubectlOkAsync(null, "create", "namespace", ns);

        await server.KubectlOkAsync(null, "create", "-n", ns, "-f", Write(dir, PrivilegedPod));
        await server.KubectlOkAsync(null, "create", "-n", ns, "-f", Write(dir, PrivilegedCronJob));
        Assert.Equal("true", await server.KubectlOkAsync(null, "get", "pod", "priv", "-n", ns, "-o", "jsonpath={.spec.containers[1].securityContext.privileged}"));
    }

    [Fact]
    public async Task Without_allow_privileged_privileged_containers_are_refused_in_pods_and_pod_templates()
    {
        using var dir = new TempDirectory();
        await using var own = await StartAsync(dir, new ApiServerOptions { BindAddress = IPAddress.Loopback, Port = 0, InsecureHttp = true, AllowPrivileged = false });

        var stderr = await RefusedAsync(dir, "create", "-n", "default", "-f", Write(dir, PrivilegedPod));
        Assert.Contains("The Pod \"priv\" is invalid: spec.containers[1].securityContext.privileged: Forbidden: disallowed by cluster policy", stderr, StringComparison.Ordinal);

        stderr = await RefusedAsync(dir, "create", "-n", "default", "-f", Write(dir, PrivilegedCronJob));
        Assert.Contains("spec.jobTemplate.spec.template.spec.initContainers[0].securityContext.privileged: Forbidden: disallowed by cluster policy", stderr, StringComparison.Ordinal);

        // A deployment may not become privileged by an update either; one that is not privileged is fine.
        await KubectlOkAsync(dir, "create", "deployment", "web", "-n", "default", "--image=nginx");
        stderr = await RefusedAsync(dir, "patch", "deployment", "web", "-n", "default", "--type=json",
            "-p", """[{"op":"add","path":"/spec/template/spec/containers/0/securityContext","value":{"privileged":true}}]""");
        Assert.Contains("spec.template.spec.containers[0].securityContext.privileged: Forbidden: disallowed by cluster policy", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NamespaceLifecycle_and_ServiceAccount_are_on_by_default_and_can_be_turned_off()
    {
        var missing = server.NewNamespace();
        var (code, _, stderr) = await server.KubectlAsync(null, "create", "configmap", "c", "-n", missing);
        Assert.NotEqual(0, code);
        Assert.Contains($"namespaces \"{missing}\" not found", stderr, StringComparison.Ordinal);
        await server.KubectlOkAsync(null, "run", "sa-default", "-n", "default", "--image=busybox");
        Assert.Equal("default", await server.KubectlOkAsync(null, "get", "pod", "sa-default", "-n", "default", "-o", "jsonpath={.spec.serviceAccountName}"));

        using var dir = new TempDirectory();
        var plugins = AdmissionPlugins.Resolve([], [AdmissionPlugins.NamespaceLifecycle, AdmissionPlugins.ServiceAccount]);
        await using var own = await StartAsync(dir, new ApiServerOptions { BindAddress = IPAddress.Loopback, Port = 0, InsecureHttp = true, AdmissionPlugins = plugins });

        await KubectlOkAsync(dir, "create", "configmap", "c", "-n", missing);
        await KubectlOkAsync(dir, "run", "no-sa", "-n", "default", "--image=busybox");
        Assert.Equal("", await KubectlOkAsync(dir, "get", "pod", "no-sa", "-n", "default", "-o", "jsonpath={.spec.serviceAccountName}"));
    }

    [Fact]
    public async Task NodeRestriction_is_on_by_default_and_can_be_turned_off()
    {
        foreach (var restricted in new[] { true, false })
        {
            using var dir = new TempDirectory();
            var options = new ApiServerOptions
            {
                BindAddress = IPAddress.Loopback,
                Port = 0,
                Security = new SecurityOptions { CertDir = dir.File("certs") },
                AdmissionPlugins = restricted ? AdmissionPlugins.Resolve([AdmissionPlugins.NodeRestriction], []) : AdmissionPlugins.Resolve([], [AdmissionPlugins.NodeRestriction]),
            };
            await using var own = await StartAsync(dir, options);
            using var ca = X509Certificate2.CreateFromPemFile(dir.File("certs/ca.crt"), dir.File("certs/ca.key"));
            var (cert, key) = SecureApiServerFixture.IssueClientCertificate(ca, "system:node:n1", "system:nodes");
            var node = dir.File("node.kubeconfig");
            await Hosting.Kubeconfig.WriteWithCertificateAsync(node, own.Url, ca.ExportCertificatePem(), cert, key, "system:node:n1", Ct);
            await Kubectl.RunAsync(Kubectl.Find(null), node, "create", "-f", Write(dir, """{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}"""));

            var (code, _, stderr) = await Kubectl.RunAsync(Kubectl.Find(null), node, "taint", "node", "n1", "dedicated=x:NoSchedule");
            if (restricted)
            {
                Assert.NotEqual(0, code);
                Assert.Contains("node \"n1\" is not allowed to modify taints", stderr, StringComparison.Ordinal);
            }
            else
            {
                Assert.True(code == 0, stderr);
            }
        }
    }

    private static async Task<Hosting.ApiServer> StartAsync(TempDirectory dir, ApiServerOptions options)
    {
        var started = await Hosting.ApiServer.StartAsync(options, new MemoryObjectStore(), cancellationToken: Ct);
        await started.WriteAdminKubeconfigAsync(dir.File("kubeconfig"), Ct);

        // No controllers run here: the account pods in default run as is made by hand, as beside a bare kube-apiserver.
        await KubectlOkAsync(dir, "create", "serviceaccount", "default", "-n", "default");
        return started;
    }

    private static async Task<string> KubectlOkAsync(TempDirectory dir, params string[] args)
    {
        var (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(null), dir.File("kubeconfig"), args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}:\n{stderr}\n{stdout}");
        return stdout;
    }

    private static async Task<string> RefusedAsync(TempDirectory dir, params string[] args)
    {
        var (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(null), dir.File("kubeconfig"), args);
        Assert.True(code != 0, $"kubectl {string.Join(' ', args)} should have been refused:\n{stdout}");
        return stderr;
    }

    private static string Write(TempDirectory dir, string json)
    {
        var path = dir.File("obj-" + Guid.NewGuid().ToString("N")[..8] + ".json");
        File.WriteAllText(path, json);
        return path;
    }
}
