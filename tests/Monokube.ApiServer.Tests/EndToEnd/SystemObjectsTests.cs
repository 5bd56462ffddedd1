using System.Net;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Hosting;
using Monokube.ApiServer.Security.Authorization;
using Monokube.Storage.Etcd;
using Monokube.TestSupport;

namespace Monokube.ApiServer.Tests.EndToEnd;

/// <summary>
/// The objects every start writes (the system namespaces and the default RBAC policy, all in flight at once) on a
/// real etcd: a new store gets every one of them, and a restart writes only what is missing, leaving what exists as
/// it is, as kube-apiserver's post-start hooks do.
/// </summary>
public sealed class SystemObjectsTests
{
    private const string Rbac = "/apis/rbac.authorization.k8s.io/v1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

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
