using System.Net;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Hosting;
using Monokube.ApiServer.Security.Authorization;
using Monokube.Storage.Etcd;
using Monokube.TestSupport;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>
/// The objects every start writes (the system namespaces, the default RBAC policy and the system PriorityClasses,
/// all in flight at once) on a real etcd: a new store gets every one of them, and a restart writes only what is
/// missing, leaving what exists as it is, as kube-apiserver's post-start hooks do; and what the server publishes
/// for the other components (the authentication ConfigMap, its identity Lease).
/// </summary>
public sealed class SystemObjectsTests
{
    private const string Rbac = "/apis/rbac.authorization.k8s.io/v1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_start_publishes_what_kube_apiserver_publishes_for_the_other_components()
    {
        using var dir = new TempDirectory();
        await using var store = new Monokube.Storage.Memory.MemoryObjectStore();
        var options = new ApiServerOptions { BindAddress = IPAddress.Loopback, Port = 0, Security = new Security.SecurityOptions { CertDir = dir.File("certs") } };
        await using var server = await Hosting.ApiServer.StartAsync(options, store, cancellationToken: Ct);
        await server.SystemObjectsReady.WaitAsync(Ct);
        await server.WriteAdminKubeconfigAsync(dir.File("kubeconfig"), Ct);
        var kubeconfig = dir.File("kubeconfig");

        var classes = JsonNode.Parse(await KubectlOkAsync(kubeconfig, "get", "priorityclasses", "-o", "json"))!["items"]!.AsArray();
        Assert.Equal(
            ["system-cluster-critical=2000000000", "system-node-critical=2000001000"],
            classes.Select(c => $"{c!["metadata"]!["name"]}={c["value"]}").Order(StringComparer.Ordinal));

        // The authentication ConfigMap and the identity Lease come with the server's first reconcile.
        JsonNode? authentication = null;
        await Eventually.WaitAsync(async () =>
        {
            var (code, stdout, _) = await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, "get", "configmap", "-n", "kube-system", "extension-apiserver-authentication", "-o", "json");
            authentication = code == 0 ? JsonNode.Parse(stdout) : null;
            return authentication is not null;
        }, TimeSpan.FromSeconds(30), "extension-apiserver-authentication");
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(dir.File("certs"), "ca.crt"), Ct), authentication!["data"]!["client-ca-file"]!.ToString());

        var lease = JsonNode.Parse(await KubectlOkAsync(kubeconfig, "get", "lease", "-n", "kube-system", "-l", "k8s.io/component=kube-apiserver", "-o", "json"))!["items"]![0]!;
        Assert.Equal(ClusterInfoPublisher.LeaseName(Environment.MachineName), lease["metadata"]!["name"]!.ToString());
        Assert.Equal(3600, lease["spec"]!["leaseDurationSeconds"]!.GetValue<int>());
        Assert.StartsWith(lease["metadata"]!["name"] + "_", lease["spec"]!["holderIdentity"]!.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_identity_lease_is_named_as_kube_apiserver_names_it()
    {
        // kube-apiserver v1.26.1 on the host "vm" holds kube-system/kube-apiserver-lphjr5z7h3imqn7sokpnsue3ha.
        Assert.Equal("kube-apiserver-lphjr5z7h3imqn7sokpnsue3ha", ClusterInfoPublisher.LeaseName("vm"));
    }

    private static async Task<string> KubectlOkAsync(string kubeconfig, params string[] args)
    {
        var (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}:\n{stderr}");
        return stdout;
    }

    [Fact]
    public async Task A_restart_recreates_what_is_missing_and_leaves_what_exists_as_it_is()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        await using var store = new EtcdObjectStore(new EtcdOptions { Endpoints = [new Uri(etcd.ClientUrl)] });
        var options = new ApiServerOptions { BindAddress = IPAddress.Loopback, Port = 0, InsecureHttp = true };

        string viewVersion, editUid;
        await using (var first = await Hosting.ApiServer.StartAsync(options, store, cancellationToken: Ct))
        {
            await first.SystemObjectsReady.WaitAsync(Ct);
            using var http = new HttpClient { BaseAddress = first.Url, Timeout = TimeSpan.FromSeconds(30) };
            foreach (var kind in new[] { "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding" })
            {
                var items = (await GetAsync(http, $"{Rbac}/{kind.ToLowerInvariant()}s?labelSelector=kubernetes.io/bootstrapping%3Drbac-defaults"))["items"]!.AsArray();
                Assert.Equal(BootstrapPolicy.Default.Objects.Count(o => o.Kind == kind), items.Count);
            }

            var namespaces = (await GetAsync(http, "/api/v1/namespaces"))["items"]!.AsArray().Select(n => (string)n!["metadata"]!["name"]!);
            Assert.Equal(SystemNamespaces.Names.Order(), namespaces.Order());

            editUid = (string)(await GetAsync(http, $"{Rbac}/clusterroles/edit"))["metadata"]!["uid"]!;
            await SendAsync(http, HttpMethod.Delete, $"{Rbac}/clusterroles/edit", null);
            var view = await SendAsync(http, HttpMethod.Patch, $"{Rbac}/clusterroles/view", """{"metadata":{"labels":{"changed":"yes"}}}""");
            viewVersion = (string)view["metadata"]!["resourceVersion"]!;
            await SendAsync(http, HttpMethod.Patch, "/api/v1/namespaces/default", """{"metadata":{"labels":{"changed":"yes"}}}""");
        }

        await using var second = await Hosting.ApiServer.StartAsync(options, store, cancellationToken: Ct);
        await second.SystemObjectsReady.WaitAsync(Ct);
        using var client = new HttpClient { BaseAddress = second.Url, Timeout = TimeSpan.FromSeconds(30) };

        var edit = await GetAsync(client, $"{Rbac}/clusterroles/edit");
        Assert.NotEqual(editUid, (string)edit["metadata"]!["uid"]!);
        var kept = await GetAsync(client, $"{Rbac}/clusterroles/view");
        Assert.Equal(viewVersion, (string)kept["metadata"]!["resourceVersion"]!);
        Assert.Equal("yes", (string)kept["metadata"]!["labels"]!["changed"]!);
        Assert.Equal("yes", (string)(await GetAsync(client, "/api/v1/namespaces/default"))["metadata"]!["labels"]!["changed"]!);
    }

    private static async Task<JsonObject> GetAsync(HttpClient http, string path) => await SendAsync(http, HttpMethod.Get, path, null);

    private static async Task<JsonObject> SendAsync(HttpClient http, HttpMethod method, string path, string? mergePatch)
    {
        using var request = new HttpRequestMessage(method, path);
        if (mergePatch is not null)
        {
            request.Content = new StringContent(mergePatch, System.Text.Encoding.UTF8, "application/merge-patch+json");
            request.Content.Headers.ContentType!.CharSet = null;
        }

        using var response = await http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsObject();
    }
}
