using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>Deletion with each propagation policy, through kubectl delete --cascade as users ask for it.</summary>
public sealed class GarbageCollectionTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Background_deletion_removes_the_replicasets_and_pods_of_a_deployment()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.KubectlOkAsync("create", "deployment", "web", "-n", ns, "--image=nginx:1.25", "--replicas=2");
        await ClusterFixture.WaitAsync(async () => (await cluster.PodsAsync(ns)).Count == 2, "the deployment's pods");

        await cluster.KubectlOkAsync("delete", "deployment", "web", "-n", ns);

        await ClusterFixture.WaitAsync(async () => await CountAsync(ResourceRef.ReplicaSets, ns) == 0 && (await cluster.PodsAsync(ns)).Count == 0, "the replicaset and pods to be collected");
    }

    [Fact]
    public async Task Foreground_deletion_of_a_deployment_ends_after_its_replicasets_and_pods()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.KubectlOkAsync("create", "deployment", "web", "-n", ns, "--image=nginx:1.25", "--replicas=2");
        await ClusterFixture.WaitAsync(async () => (await cluster.PodsAsync(ns)).Count == 2, "the deployment's pods");

        // kubectl waits until the Deployment is gone; in foreground, everything it owned went first.
        await cluster.KubectlOkAsync("delete", "deployment", "web", "-n", ns, "--cascade=foreground", "--timeout=60s");

        Assert.Equal(0, await CountAsync(ResourceRef.ReplicaSets, ns));
        Assert.Empty(await cluster.PodsAsync(ns));
    }

    [Fact]
    public async Task Orphan_deletion_leaves_the_replicaset_without_its_owner()
    {
        var ns = await cluster.NamespaceAsync();
        await cluster.KubectlOkAsync("create", "deployment", "web", "-n", ns, "--image=nginx:1.25", "--replicas=2");
        await ClusterFixture.WaitAsync(async () => (await cluster.PodsAsync(ns)).Count == 2, "the deployment's pods");

        await cluster.KubectlOkAsync("delete", "deployment", "web", "-n", ns, "--cascade=orphan");

        Assert.Null(await cluster.Client.GetAsync(ResourceRef.Deployments, ns, "web", Ct));
        var replicaSets = (await cluster.Client.ListAsync(ResourceRef.ReplicaSets, ns, Ct))["items"]!.AsArray().OfType<JsonObject>().ToList();
        var rs = Assert.Single(replicaSets);
        Assert.Null(rs.Find("metadata.ownerReferences"));
        var pods = await cluster.PodsAsync(ns);
        Assert.Equal(2, pods.Count);
        Assert.All(pods, p => Assert.Equal(rs.GetString("metadata.uid"), Owners.ControllerOf(p)!.GetString("uid")));
    }

    [Fact]
    public async Task Foreground_deletion_waits_for_blocking_dependents()
    {
        var ns = await cluster.NamespaceAsync();
        var owner = await ConfigMapAsync(ns, "owner", owners: null);
        var blocking = await ConfigMapAsync(ns, "blocking", Reference(owner, block: true), finalizer: "example.com/hold");
        await ConfigMapAsync(ns, "free", Reference(owner, block: false));

        await cluster.KubectlOkAsync("delete", "configmap", "owner", "-n", ns, "--cascade=foreground", "--wait=false");

        // The owner stays (deletionTimestamp, foregroundDeletion) while a dependent with blockOwnerDeletion remains.
        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "free", Ct) is null, "the non-blocking dependent to go");
        await ClusterFixture.WaitAsync(async () => (await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "blocking", Ct))?.GetString("metadata.deletionTimestamp") is not null, "the blocking dependent to be deleted");
        var waiting = await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "owner", Ct);
        Assert.NotNull(waiting);
        Assert.NotNull(waiting.GetString("metadata.deletionTimestamp"));
        Assert.Contains("foregroundDeletion", waiting.Find("metadata.finalizers")!.AsArray().Select(f => f!.ToString()));

        // Once the blocking dependent finishes, so does the owner.
        await cluster.KubectlOkAsync("patch", "configmap", "blocking", "-n", ns, "--type=merge", "-p", "{\"metadata\":{\"finalizers\":null}}");
        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "owner", Ct) is null, "the owner to be deleted");
        Assert.Null(await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "blocking", Ct));
    }

    [Fact]
    public async Task A_dependent_with_a_remaining_owner_only_loses_the_reference_to_the_deleted_one()
    {
        var ns = await cluster.NamespaceAsync();
        var first = await ConfigMapAsync(ns, "first", owners: null);
        var second = await SecretAsync(ns, "second");
        await ConfigMapAsync(ns, "shared", new JsonArray((JsonNode)Reference(first, block: false)[0]!.DeepClone(), Reference(second, block: false, kind: "Secret")[0]!.DeepClone()));

        await cluster.KubectlOkAsync("delete", "configmap", "first", "-n", ns);

        await ClusterFixture.WaitAsync(
            async () => (await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "shared", Ct))?.Find("metadata.ownerReferences") is JsonArray { Count: 1 } refs && refs[0]!["kind"]!.ToString() == "Secret",
            "the reference to the deleted owner to be dropped");

        // With its last owner gone, it goes too.
        await cluster.KubectlOkAsync("delete", "secret", "second", "-n", ns);
        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "shared", Ct) is null, "the dependent to be collected");
    }

    [Fact]
    public async Task A_dependent_whose_owner_never_existed_is_collected()
    {
        var ns = await cluster.NamespaceAsync();
        var missing = new JsonArray((JsonNode)new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["name"] = "nobody", ["uid"] = Guid.NewGuid().ToString() });
        await ConfigMapAsync(ns, "orphaned", missing);

        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "orphaned", Ct) is null, "the dependent of a missing owner to be collected");
    }

    private async Task<int> CountAsync(ResourceRef resource, string ns) =>
        (await cluster.Client.ListAsync(resource, ns, Ct))["items"]!.AsArray().Count;

    private static JsonArray Reference(JsonObject owner, bool block, string kind = "ConfigMap") => new((JsonNode)new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = kind,
        ["name"] = owner.GetString("metadata.name"),
        ["uid"] = owner.GetString("metadata.uid"),
        ["blockOwnerDeletion"] = block,
    });

    private Task<JsonObject> ConfigMapAsync(string ns, string name, JsonArray? owners, string? finalizer = null)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (owners is not null)
        {
            metadata["ownerReferences"] = owners;
        }

        if (finalizer is not null)
        {
            metadata["finalizers"] = new JsonArray((JsonNode)finalizer);
        }

        return cluster.Client.CreateAsync(ResourceRef.ConfigMaps, ns, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = metadata }, Ct);
    }

    private Task<JsonObject> SecretAsync(string ns, string name) =>
        cluster.Client.CreateAsync(ResourceRef.Secrets, ns, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = name } }, Ct);
}
