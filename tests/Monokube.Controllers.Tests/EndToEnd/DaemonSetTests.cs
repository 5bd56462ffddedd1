using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.TestSupport;
using Monokube.Controllers.Hashing;
using Monokube.Controllers.Informers;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>
/// DaemonSets over Node objects: a pod per fitting node bound by the scheduler, coverage following nodes, labels,
/// taints and tolerations, rolling updates, history and undo with kubectl. Every test labels its own nodes and
/// selects them, since a DaemonSet covers every node of the cluster.
/// </summary>
public sealed class DaemonSetTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private const string GroupLabel = "ds-test-group";

    private static readonly string[] DefaultTolerations =
    [
        "node.kubernetes.io/not-ready:NoExecute",
        "node.kubernetes.io/unreachable:NoExecute",
        "node.kubernetes.io/disk-pressure:NoSchedule",
        "node.kubernetes.io/memory-pressure:NoSchedule",
        "node.kubernetes.io/pid-pressure:NoSchedule",
        "node.kubernetes.io/unschedulable:NoSchedule",
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task One_pod_per_fitting_node_bound_by_the_scheduler_with_kubes_names_and_status()
    {
        var ns = await cluster.NamespaceAsync();
        var (tainted, b, c) = ("a-" + ns, "b-" + ns, "c-" + ns);
        await NodeAsync(tainted, ns, new JsonArray((JsonNode)new JsonObject { ["key"] = "dedicated", ["value"] = "infra", ["effect"] = "NoSchedule" }));
        await NodeAsync(b, ns);
        await NodeAsync(c, ns);
        await using var kubelet = new FakeKubelet(cluster.Client, ns);

        await cluster.Client.CreateAsync(ResourceRef.DaemonSets, ns, DaemonSet("agent", ns), Ct);
        await WaitForStatusAsync(ns, "agent", desired: 2, available: 2);
        await cluster.KubectlOkAsync("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=60s");

        var ds = (await cluster.Client.GetAsync(ResourceRef.DaemonSets, ns, "agent", Ct))!;
        var hash = TemplateHash.Compute(ds.Find("spec.template")!.AsObject(), null);
        var revision = Assert.Single(await RevisionsAsync(ns));
        Assert.Equal("agent-" + hash, revision.GetString("metadata.name"));
        Assert.Equal(1, revision.GetLong("revision"));
        Assert.Equal(hash, revision.Find("metadata.labels")![DaemonPodsHash]!.ToString());
        Assert.True(Owners.IsControlledBy(revision, ds));
        Assert.Equal(JsonNode.Parse(TemplateHash.DaemonSetRevisionData(ds.Find("spec.template")!.AsObject())), revision["data"], JsonNode.DeepEquals);
        Assert.Equal("1", ds.Find("metadata.annotations")!["deprecated.daemonset.template.generation"]!.ToString());

        var pods = await cluster.PodsAsync(ns);
        Assert.Equal([b, c], pods.Select(p => p.GetString("spec.nodeName")).Order(StringComparer.Ordinal));
        Assert.All(pods, pod =>
        {
            Assert.StartsWith("agent-", pod.GetString("metadata.name"), StringComparison.Ordinal);
            Assert.Equal(hash, pod.Find("metadata.labels")![DaemonPodsHash]!.ToString());
            Assert.Equal("1", pod.Find("metadata.labels")!["pod-template-generation"]!.ToString());
            Assert.True(Owners.IsControlledBy(pod, ds));
            Assert.True(Owners.ControllerOf(pod)!.GetBool("blockOwnerDeletion"));
            var terms = pod.Find("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms")!.ToJsonString();
            Assert.Equal($$"""[{"matchFields":[{"key":"metadata.name","operator":"In","values":["{{pod.GetString("spec.nodeName")}}"]}]}]""", terms);
            var tolerations = (pod.Find("spec.tolerations") as JsonArray)!.OfType<JsonObject>().Select(t => t.GetString("key") + ":" + t.GetString("effect"));
            Assert.Equal(DefaultTolerations, tolerations);
        });

        var status = ds["status"]!.AsObject();
        Assert.Equal(2, status.GetLong("desiredNumberScheduled"));
        Assert.Equal(2, status.GetLong("currentNumberScheduled"));
        Assert.Equal(0, status.GetLong("numberMisscheduled"));
        Assert.Equal(2, status.GetLong("numberReady"));
        Assert.Equal(2, status.GetLong("updatedNumberScheduled"));
        Assert.Equal(2, status.GetLong("numberAvailable"));
        Assert.Null(status["numberUnavailable"]);
        Assert.Equal(ds.Find("metadata.generation")!.GetValue<long>(), status.GetLong("observedGeneration"));
    }

    [Fact]
    public async Task Coverage_follows_new_nodes_tolerations_labels_and_deleted_nodes()
    {
        var ns = await cluster.NamespaceAsync();
        var (a, b, c, d) = ("a-" + ns, "b-" + ns, "c-" + ns, "d-" + ns);
        await NodeAsync(a, ns, new JsonArray((JsonNode)new JsonObject { ["key"] = "dedicated", ["value"] = "infra", ["effect"] = "NoSchedule" }));
        await NodeAsync(b, ns);
        await NodeAsync(c, ns);
        await using var kubelet = new FakeKubelet(cluster.Client, ns);
        await cluster.Client.CreateAsync(ResourceRef.DaemonSets, ns, DaemonSet("agent", ns), Ct);
        await WaitForPodsOnAsync(ns, b, c);

        // A new node gets its pod.
        await NodeAsync(d, ns);
        await WaitForPodsOnAsync(ns, b, c, d);
        await WaitForStatusAsync(ns, "agent", desired: 3, available: 3);

        // Tolerating the taint brings the tainted node in (and rolls the others onto the new template).
        await cluster.KubectlOkAsync("patch", "daemonset/agent", "-n", ns, "--type=merge", "-p",
            """{"spec":{"template":{"spec":{"tolerations":[{"key":"dedicated","operator":"Equal","value":"infra","effect":"NoSchedule"}]}}}}""");
        await WaitForStatusAsync(ns, "agent", desired: 4, available: 4, updated: 4);
        await cluster.KubectlOkAsync("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=60s");
        await WaitForPodsOnAsync(ns, a, b, c, d);

        // A node that stops matching the node selector loses its pod.
        await cluster.KubectlOkAsync("label", "node", b, GroupLabel + "-");
        await WaitForPodsOnAsync(ns, a, c, d);
        await WaitForStatusAsync(ns, "agent", desired: 3, available: 3, updated: 3);

        // A deleted node's pod goes too.
        await cluster.Client.DeleteAsync(ResourceRef.Nodes, null, c, Ct);
        await WaitForPodsOnAsync(ns, a, d);
        await WaitForStatusAsync(ns, "agent", desired: 2, available: 2, updated: 2);
    }

    [Fact]
    public async Task A_rolling_update_replaces_one_pod_at_a_time_and_undo_returns_to_the_old_revision()
    {
        var ns = await cluster.NamespaceAsync();
        var nodes = new[] { "a-" + ns, "b-" + ns, "c-" + ns };
        foreach (var node in nodes)
        {
            await NodeAsync(node, ns);
        }

        await using var kubelet = new FakeKubelet(cluster.Client, ns);
        await cluster.Client.CreateAsync(ResourceRef.DaemonSets, ns, DaemonSet("agent", ns), Ct);
        await WaitForStatusAsync(ns, "agent", desired: 3, available: 3);
        await cluster.KubectlOkAsync("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=60s");
        var first = Assert.Single(await RevisionsAsync(ns)).Find("metadata.labels")![DaemonPodsHash]!.ToString();

        await using var watcher = await UnavailabilityWatcher.StartAsync(cluster.Client, ns, nodes);
        await cluster.KubectlOkAsync("set", "image", "daemonset/agent", "-n", ns, "agent=busybox:1.37");
        await WaitForStatusAsync(ns, "agent", desired: 3, available: 3, updated: 3, generation: 2);
        await cluster.KubectlOkAsync("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=60s");
        await WaitForHashAsync(ns, nodes.Length, r => r != first);

        // maxUnavailable 1: a node at a time was without an available pod, never two.
        Assert.Equal(1, watcher.MostUnavailable);
        var revisions = await RevisionsAsync(ns);
        Assert.Equal([1L, 2L], revisions.Select(r => r.GetLong("revision") ?? 0).Order());
        var second = revisions.Single(r => r.GetLong("revision") == 2).Find("metadata.labels")![DaemonPodsHash]!.ToString();
        Assert.All(await cluster.PodsAsync(ns), p => Assert.Equal(second, p.Find("metadata.labels")![DaemonPodsHash]!.ToString()));
        Assert.Equal(["1", "2"], HistoryRevisions(await cluster.KubectlOkAsync("rollout", "history", "daemonset/agent", "-n", ns)));

        // Undo re-applies revision 1's template: its revision becomes number 3 and the pods get its hash back.
        await cluster.KubectlOkAsync("rollout", "undo", "daemonset/agent", "-n", ns);
        await WaitForStatusAsync(ns, "agent", desired: 3, available: 3, updated: 3, generation: 3);
        await cluster.KubectlOkAsync("rollout", "status", "daemonset/agent", "-n", ns, "--timeout=60s");
        await WaitForHashAsync(ns, nodes.Length, r => r == first);
        var afterUndo = await RevisionsAsync(ns);
        Assert.Equal(3, afterUndo.Single(r => r.GetString("metadata.name") == "agent-" + first).GetLong("revision"));
        Assert.Equal(["2", "3"], HistoryRevisions(await cluster.KubectlOkAsync("rollout", "history", "daemonset/agent", "-n", ns)));
        Assert.Equal(1, watcher.MostUnavailable);
    }

    [Fact]
    public async Task On_delete_replaces_only_the_pods_someone_deletes()
    {
        var ns = await cluster.NamespaceAsync();
        await NodeAsync("a-" + ns, ns);
        await NodeAsync("b-" + ns, ns);
        await using var kubelet = new FakeKubelet(cluster.Client, ns);
        var ds = DaemonSet("agent", ns);
        ds["spec"]!["updateStrategy"] = new JsonObject { ["type"] = "OnDelete" };
        await cluster.Client.CreateAsync(ResourceRef.DaemonSets, ns, ds, Ct);
        await WaitForStatusAsync(ns, "agent", desired: 2, available: 2, updated: 2);

        await cluster.KubectlOkAsync("set", "image", "daemonset/agent", "-n", ns, "agent=busybox:1.37");
        await WaitForStatusAsync(ns, "agent", desired: 2, available: 2, updated: 0, generation: 2);
        var victim = (await cluster.PodsAsync(ns)).First();
        await cluster.KubectlOkAsync("delete", "pod", victim.GetString("metadata.name")!, "-n", ns, "--wait=false");
        await WaitForStatusAsync(ns, "agent", desired: 2, available: 2, updated: 1, generation: 2);
        var pods = await cluster.PodsAsync(ns);
        Assert.Equal(2, pods.Count);
        Assert.Single(pods, p => p.Find("spec.containers")![0]!["image"]!.ToString() == "busybox:1.37");
    }

    [Fact]
    public async Task A_failed_daemon_pod_is_deleted_and_replaced()
    {
        // No kubelet stands in here: the test fails the pod as a kubelet would.
        var ns = await cluster.NamespaceAsync();
        var node = "a-" + ns;
        await NodeAsync(node, ns);
        await cluster.Client.CreateAsync(ResourceRef.DaemonSets, ns, DaemonSet("agent", ns), Ct);
        await ClusterFixture.WaitAsync(async () => (await cluster.PodsAsync(ns)).Any(p => p.GetString("spec.nodeName") == node), "the daemon pod bound");
        var failed = Assert.Single(await cluster.PodsAsync(ns));
        var name = failed.GetString("metadata.name")!;
        await cluster.Client.PatchAsync(ResourceRef.Pods, ns, name, "application/merge-patch+json", JsonNode.Parse("""{"status":{"phase":"Failed"}}""")!, Ct, "status");

        // A finished pod is deleted at once (no kubelet has anything left to stop).
        await ClusterFixture.WaitAsync(async () => await cluster.Client.GetAsync(ResourceRef.Pods, ns, name, Ct) is null, "the failed pod deleted");
        await ClusterFixture.WaitAsync(async () => (await cluster.PodsAsync(ns)).Any(p => p.GetString("metadata.name") != name && p.GetString("spec.nodeName") == node), "a replacement pod bound");
    }

    private const string DaemonPodsHash = "controller-revision-hash";

    private static JsonObject DaemonSet(string name, string group) => new()
    {
        ["apiVersion"] = "apps/v1",
        ["kind"] = "DaemonSet",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = new JsonObject
            {
                ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                ["spec"] = new JsonObject
                {
                    ["nodeSelector"] = new JsonObject { [GroupLabel] = group },
                    ["containers"] = new JsonArray((JsonNode)new JsonObject { ["name"] = name, ["image"] = "busybox:1.36" }),
                },
            },
        },
    };

    private Task<JsonObject> NodeAsync(string name, string group, JsonArray? taints = null) =>
        cluster.NodeAsync(name, new JsonObject { ["kubernetes.io/hostname"] = name, [GroupLabel] = group }, taints);

    private async Task<List<JsonObject>> RevisionsAsync(string ns)
    {
        var list = await cluster.Client.ListAsync(ResourceRef.ControllerRevisions, ns, Ct);
        return [.. (list["items"] as JsonArray ?? []).OfType<JsonObject>()];
    }

    private Task WaitForStatusAsync(string ns, string name, int desired, int available, int? updated = null, long? generation = null) =>
        ClusterFixture.WaitAsync(
            async () =>
            {
                var ds = await cluster.Client.GetAsync(ResourceRef.DaemonSets, ns, name, Ct);
                var status = ds?["status"] as JsonObject;
                var observed = status?.GetLong("observedGeneration") ?? 0;
                return status is not null && observed == ds!.Find("metadata.generation")!.GetValue<long>() && (generation is null || observed == generation)
                    && status.GetLong("desiredNumberScheduled") == desired && status.GetLong("currentNumberScheduled") == desired
                    && (status.GetLong("numberAvailable") ?? 0) == available && (updated is null || (status.GetLong("updatedNumberScheduled") ?? 0) == updated);
            },
            $"daemonset {name}: {desired} desired, {available} available" + (updated is null ? "" : $", {updated} updated"),
            seconds: 60);

    // Exactly the given nodes have a live daemon pod each.
    private Task WaitForPodsOnAsync(string ns, params string[] nodes) =>
        ClusterFixture.WaitAsync(
            async () =>
            {
                var live = (await cluster.PodsAsync(ns)).Where(p => !Owners.IsBeingDeleted(p)).Select(p => p.GetString("spec.nodeName") ?? "").Order(StringComparer.Ordinal);
                return live.SequenceEqual(nodes.Order(StringComparer.Ordinal));
            },
            "daemon pods on exactly " + string.Join(", ", nodes),
            seconds: 60);

    private Task WaitForHashAsync(string ns, int count, Func<string, bool> hash) =>
        ClusterFixture.WaitAsync(
            async () =>
            {
                var pods = await cluster.PodsAsync(ns);
                return pods.Count == count && pods.All(p => hash(p.Find("metadata.labels")?[DaemonPodsHash]?.ToString() ?? ""));
            },
            "every pod on the expected revision",
            seconds: 60);

    private static List<string> HistoryRevisions(string history) =>
        [.. history.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "").Where(t => t.Length > 0 && t.All(char.IsAsciiDigit))];

    /// <summary>Watches the pods of a namespace and remembers the most nodes that were at once without a ready pod.</summary>
    private sealed class UnavailabilityWatcher : IAsyncDisposable
    {
        private readonly Informer _pods;
        private readonly string _namespace;
        private readonly string[] _nodes;
        private int _most;

        private UnavailabilityWatcher(KubeClient client, string ns, string[] nodes)
        {
            _namespace = ns;
            _nodes = nodes;
            _pods = new Informer(client, ResourceRef.Pods, TimeProvider.System, NullLogger.Instance);
            _pods.Subscribe(_ => Observe());
        }

        public int MostUnavailable => Volatile.Read(ref _most);

        public static async Task<UnavailabilityWatcher> StartAsync(KubeClient client, string ns, string[] nodes)
        {
            var watcher = new UnavailabilityWatcher(client, ns, nodes);
            watcher._pods.Start();
            await watcher._pods.WaitForSyncAsync(Ct);
            return watcher;
        }

        public ValueTask DisposeAsync() => _pods.DisposeAsync();

        // Events arrive in order on one loop, and the cache holds the state after each.
        private void Observe()
        {
            var ready = _pods.Items.Values
                .Where(p => p.GetString("metadata.namespace") == _namespace && !Owners.IsBeingDeleted(p)
                    && (p.Find("status.conditions") as JsonArray)?.OfType<JsonObject>().Any(c => c.GetString("type") == "Ready" && c.GetString("status") == "True") == true)
                .Select(p => p.GetString("spec.nodeName"))
                .ToHashSet(StringComparer.Ordinal);
            var unavailable = _nodes.Count(n => !ready.Contains(n));
            if (unavailable > _most)
            {
                Volatile.Write(ref _most, unavailable);
            }
        }
    }
}
