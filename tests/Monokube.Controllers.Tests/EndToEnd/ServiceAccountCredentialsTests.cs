using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>The cluster without its own replicaset controller: the test runs one as kube-controller-manager would.</summary>
public sealed class NoReplicaSetControllerCluster : ClusterFixture
{
    protected override ControllerOptions CreateOptions(ApiServer.Hosting.ApiServer server) => new()
    {
        Enabled = ["*", "-replicaset-controller"],
        RootCaPem = CaPem,
    };
}

/// <summary>
/// --use-service-account-credentials: with the credentials of system:kube-controller-manager (which may not create
/// pods), the replicaset controller still makes its pods, because it acts as kube-system/replicaset-controller, whose
/// bootstrap binding allows it; without that binding its creations are refused in that account's name.
/// </summary>
public sealed class ServiceAccountCredentialsTests(NoReplicaSetControllerCluster cluster) : IClassFixture<NoReplicaSetControllerCluster>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_controller_writes_as_its_own_service_account()
    {
        var ns = await cluster.NamespaceAsync();
        using var certificate = cluster.IssueClientCertificate("system:kube-controller-manager");
        using var component = cluster.ClientAs(certificate: certificate);
        var denied = await Assert.ThrowsAsync<KubeApiException>(() => component.CreateAsync(ResourceRef.Pods, ns, Pod(), Ct));
        Assert.Equal(HttpStatusCode.Forbidden, denied.Code);

        var options = new ControllerOptions { Enabled = ["replicaset"], UseServiceAccountCredentials = true };
        var host = new ControllerHost("controller-manager", component, options, BuiltinControllers.Create, null, TimeProvider.System, NullLoggerFactory.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = host.RunAsync(stop.Token);
        await host.Started.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        Assert.Equal(["replicaset-controller"], host.Running);

        await cluster.Client.CreateAsync(ResourceRef.ReplicaSets, ns, ReplicaSet(2), Ct);
        await ClusterFixture.WaitAsync(async () => (await cluster.PodsAsync(ns)).Count == 2, "the replicaset controller to create 2 pods");
        Assert.NotNull(await cluster.Client.GetAsync(ResourceRef.ServiceAccounts, "kube-system", "replicaset-controller", Ct));

        // Once the account's role may no longer create pods, the next pod is refused, and the refusal names the account.
        var roles = new ResourceRef("rbac.authorization.k8s.io", "v1", "clusterroles", false);
        var role = (await cluster.Client.GetAsync(roles, null, "system:controller:replicaset-controller", Ct))!;
        var original = role["rules"]!.DeepClone();
        foreach (var rule in role["rules"]!.AsArray().OfType<JsonObject>().Where(r => r["resources"]!.AsArray().Any(x => x!.ToString() == "pods")))
        {
            rule["verbs"] = new JsonArray([.. rule["verbs"]!.AsArray().Select(v => v!.ToString()).Where(v => v != "create").Select(v => (JsonNode)v)]);
        }

        await cluster.Client.UpdateAsync(roles, role, Ct);
        try
        {
            await cluster.Client.PatchAsync(ResourceRef.ReplicaSets, ns, "web", "application/merge-patch+json", new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 3 } }, Ct);
            string? note = null;
            await ClusterFixture.WaitAsync(
                async () => (note = await FailedCreateAsync(ns)) is not null,
                "a FailedCreate event on the ReplicaSet");
            Assert.Contains("User \"system:serviceaccount:kube-system:replicaset-controller\" cannot create resource \"pods\"", note, StringComparison.Ordinal);
            Assert.Equal(2, (await cluster.PodsAsync(ns)).Count);
        }
        finally
        {
            var restored = (await cluster.Client.GetAsync(roles, null, "system:controller:replicaset-controller", CancellationToken.None))!;
            restored["rules"] = original;
            await cluster.Client.UpdateAsync(roles, restored, CancellationToken.None);
        }

        await ClusterFixture.WaitAsync(async () => (await cluster.PodsAsync(ns)).Count == 3, "the third pod once the binding is back");
        await stop.CancelAsync();
        await running;
    }

    private async Task<string?> FailedCreateAsync(string ns)
    {
        var list = await cluster.Client.ListAsync(new ResourceRef("events.k8s.io", "v1", "events", true), ns, Ct);
        return (list["items"] as JsonArray ?? []).OfType<JsonObject>()
            .FirstOrDefault(e => e.GetString("reason") == "FailedCreate" && e.GetString("regarding.name") == "web")?.GetString("note");
    }

    private static JsonObject Pod() => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = "direct" },
        ["spec"] = new JsonObject { ["containers"] = new JsonArray((JsonNode)new JsonObject { ["name"] = "c", ["image"] = "nginx" }) },
    };

    private static JsonObject ReplicaSet(int replicas) => new()
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "ReplicaSet",
        ["metadata"] = new JsonObject { ["name"] = "web" },
        ["spec"] = new JsonObject
        {
            ["replicas"] = replicas,
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "web" } },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = "web" } },
                ["spec"] = new JsonObject { ["containers"] = new JsonArray((JsonNode)new JsonObject { ["name"] = "c", ["image"] = "nginx" }) },
            },
        },
    };
}
