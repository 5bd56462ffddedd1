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

    [Fact]
    public async Task A_dependent_naming_an_owner_of_another_namespace_is_collected_and_reported()
    {
        // Owner references cannot cross namespaces: the owner is looked for in the dependent's namespace, where it
        // is not, and kube reports the reference (OwnerRefInvalidNamespace) as it collects the dependent.
        var home = await cluster.NamespaceAsync();
        var elsewhere = await cluster.NamespaceAsync();
        var owner = await ConfigMapAsync(home, "owner", owners: null);
        var dependent = await ConfigMapAsync(elsewhere, "dependent", Reference(owner, block: false));

        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.ConfigMaps, elsewhere, "dependent", Ct) is null, "the cross-namespace dependent to be collected");
        Assert.NotNull(await cluster.Client.GetAsync(ResourceRef.ConfigMaps, home, "owner", Ct));
        var note = await InvalidNamespaceEventAsync(elsewhere, dependent.GetString("metadata.uid")!);
        Assert.Equal($"ownerRef [v1/ConfigMap, namespace: {elsewhere}, name: owner, uid: {owner.GetString("metadata.uid")}] does not exist in namespace \"{elsewhere}\"", note);
    }

    [Fact]
    public async Task A_cluster_scoped_dependent_of_a_namespaced_owner_is_reported_and_never_collected()
    {
        var ns = await cluster.NamespaceAsync();
        var owner = await ConfigMapAsync(ns, "owner", owners: null);
        var name = "gc-invalid-" + Guid.NewGuid().ToString("N")[..8];
        var role = await cluster.Client.CreateAsync(ClusterRoles, null, new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = new JsonObject { ["name"] = name, ["ownerReferences"] = Reference(owner, block: false) },
        }, Ct);

        // The event is written once the collector has judged the reference: after it, the role must still be there,
        // and deleting the owner changes nothing.
        await InvalidNamespaceEventAsync("default", role.GetString("metadata.uid")!);
        Assert.NotNull(await cluster.Client.GetAsync(ClusterRoles, null, name, Ct));
        await cluster.KubectlOkAsync("delete", "configmap", "owner", "-n", ns);
        var sentinel = await ConfigMapAsync(ns, "sentinel", Reference(owner, block: false));
        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "sentinel", Ct) is null, "a namespaced dependent of the deleted owner to be collected");
        Assert.NotNull(await cluster.Client.GetAsync(ClusterRoles, null, name, Ct));
        await cluster.Client.DeleteAsync(ClusterRoles, null, name, Ct);
    }

    [Fact]
    public async Task A_dependent_whose_owner_was_replaced_by_another_object_of_the_same_name_is_collected()
    {
        var ns = await cluster.NamespaceAsync();
        var first = await ConfigMapAsync(ns, "owner", owners: null);
        await cluster.Client.DeleteAsync(ResourceRef.ConfigMaps, ns, "owner", Ct);
        await ConfigMapAsync(ns, "owner", owners: null);

        await ConfigMapAsync(ns, "dependent", Reference(first, block: false));

        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "dependent", Ct) is null, "the dependent of the old uid to be collected");
        Assert.NotNull(await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "owner", Ct));
    }

    [Fact]
    public async Task Foreground_deletion_of_an_ownership_cycle_finishes()
    {
        // a -> b -> c -> a, every reference blocking: kube's collector unblocks the references of a dependent that
        // is itself waiting for its dependents, so the foreground deletion of one ends with all three gone.
        var ns = await cluster.NamespaceAsync();
        var a = await ConfigMapAsync(ns, "a", owners: null);
        var b = await ConfigMapAsync(ns, "b", Reference(a, block: true));
        var c = await ConfigMapAsync(ns, "c", Reference(b, block: true));
        a["metadata"]!["ownerReferences"] = Reference(c, block: true);
        await cluster.Client.UpdateAsync(ResourceRef.ConfigMaps, a, Ct);

        await cluster.KubectlOkAsync("delete", "configmap", "a", "-n", ns, "--cascade=foreground", "--wait=false");

        await ClusterFixture.WaitAsync(async () => await CountAsync(ResourceRef.ConfigMaps, ns, exceptRootCa: true) == 0, "the whole cycle to be deleted");
    }

    [Fact]
    public async Task A_dependent_with_a_remaining_owner_drops_the_reference_of_an_owner_deleting_in_foreground()
    {
        var ns = await cluster.NamespaceAsync();
        var going = await ConfigMapAsync(ns, "going", owners: null);
        var staying = await SecretAsync(ns, "staying");
        await ConfigMapAsync(ns, "shared", new JsonArray((JsonNode)Reference(going, block: true)[0]!.DeepClone(), Reference(staying, block: false, kind: "Secret")[0]!.DeepClone()));

        await cluster.KubectlOkAsync("delete", "configmap", "going", "-n", ns, "--cascade=foreground", "--timeout=60s");

        var shared = await cluster.Client.GetAsync(ResourceRef.ConfigMaps, ns, "shared", Ct);
        Assert.NotNull(shared);
        var reference = Assert.Single(shared.Find("metadata.ownerReferences")!.AsArray());
        Assert.Equal("Secret", reference!["kind"]!.ToString());
    }

    private static readonly ResourceRef ClusterRoles = new("rbac.authorization.k8s.io", "v1", "clusterroles", false);

    // The note of the OwnerRefInvalidNamespace Warning about the object with uid, once it is there.
    private async Task<string> InvalidNamespaceEventAsync(string ns, string uid)
    {
        var events = new ResourceRef("events.k8s.io", "v1", "events", true);
        string? note = null;
        await ClusterFixture.WaitAsync(async () =>
        {
            var list = await cluster.Client.ListAsync(events, ns, Ct);
            note = (list["items"] as JsonArray ?? []).OfType<JsonObject>()
                .FirstOrDefault(e => e.GetString("reason") == "OwnerRefInvalidNamespace" && e.GetString("type") == "Warning" && e.GetString("regarding.uid") == uid)?.GetString("note");
            return note is not null;
        }, "an OwnerRefInvalidNamespace event");
        return note!;
    }

    // Objects of a kind in the namespace; ConfigMaps without the kube-root-ca.crt the namespace gets.
    private async Task<int> CountAsync(ResourceRef resource, string ns, bool exceptRootCa = false) =>
        (await cluster.Client.ListAsync(resource, ns, Ct))["items"]!.AsArray().OfType<JsonObject>().Count(o => !exceptRootCa || o.GetString("metadata.name") != "kube-root-ca.crt");

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
