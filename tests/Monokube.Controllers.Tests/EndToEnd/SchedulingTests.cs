using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>ReplicaSets made into pods and the scheduler placing them, against Node objects.</summary>
public sealed class SchedulingTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static JsonObject ReplicaSet(string name, int replicas, JsonObject? podSpecExtra = null)
    {
        var spec = new JsonObject { ["containers"] = new JsonArray((JsonNode)new JsonObject { ["name"] = "c", ["image"] = "busybox" }) };
        foreach (var (k, v) in podSpecExtra ?? [])
        {
            spec[k] = v?.DeepClone();
        }

        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "ReplicaSet",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["replicas"] = replicas,
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } },
                    ["spec"] = spec,
                },
            },
        };
    }

    [Fact]
    public async Task A_replicaset_gets_its_pods_and_they_are_bound_to_nodes()
    {
        var ns = await cluster.NamespaceAsync();
        var suffix = ns[2..];
        await cluster.NodeAsync("worker-a-" + suffix);
        await cluster.NodeAsync("worker-b-" + suffix);
        await cluster.Client.CreateAsync(ResourceRef.ReplicaSets, ns, ReplicaSet("web", 4, new JsonObject { ["nodeSelector"] = new JsonObject { ["kubernetes.io/hostname"] = "worker-a-" + suffix } }), Ct);

        await ClusterFixture.WaitAsync(async () => (await cluster.PodsAsync(ns)).Count(p => p.GetString("spec.nodeName") is not null) == 4, "4 pods bound");
        var pods = await cluster.PodsAsync(ns);
        Assert.All(pods, p =>
        {
            Assert.StartsWith("web-", p.GetString("metadata.name"), StringComparison.Ordinal);
            Assert.Equal("web-".Length + 5, p.GetString("metadata.name")!.Length);
            Assert.Equal("worker-a-" + suffix, p.GetString("spec.nodeName"));
            Assert.Equal("ReplicaSet", Owners.ControllerOf(p)!.GetString("kind"));
        });

        // The ReplicaSet's status follows its pods; the scheduler does not wait for it.
        await ClusterFixture.WaitAsync(
            async () => (await cluster.Client.GetAsync(ResourceRef.ReplicaSets, ns, "web", Ct))!.Find("status.replicas")?.ToInt() == 4,
            "status.replicas 4");

        // Scaling down removes pods; deleting one brings a replacement.
        await cluster.Client.PatchAsync(ResourceRef.ReplicaSets, ns, "web", "application/merge-patch+json", new JsonObject { ["spec"] = new JsonObject { ["replicas"] = 2 } }, Ct);
        await ClusterFixture.WaitAsync(async () => (await cluster.PodsAsync(ns)).Count(p => p.GetString("metadata.deletionTimestamp") is null) == 2, "2 pods after scaling down");
        var victim = (await cluster.PodsAsync(ns)).First(p => p.GetString("metadata.deletionTimestamp") is null);
        await cluster.Client.DeleteAsync(ResourceRef.Pods, ns, victim.GetString("metadata.name")!, Ct, gracePeriodSeconds: 0);
        await ClusterFixture.WaitAsync(async () =>
        {
            var live = (await cluster.PodsAsync(ns)).Where(p => p.GetString("metadata.deletionTimestamp") is null).ToList();
            return live.Count == 2 && live.All(p => p.GetString("metadata.name") != victim.GetString("metadata.name"));
        }, "a replacement pod");
    }

    [Fact]
    public async Task Taints_tolerations_and_resources_decide_and_an_unschedulable_pod_says_why()
    {
        var ns = await cluster.NamespaceAsync();
        var suffix = ns[2..];
        var tainted = new JsonArray((JsonNode)new JsonObject { ["key"] = "dedicated", ["value"] = "db", ["effect"] = "NoSchedule" });
        await cluster.NodeAsync("tainted-" + suffix, new JsonObject { ["pool"] = suffix, ["kubernetes.io/hostname"] = "tainted-" + suffix }, tainted);
        await cluster.NodeAsync("small-" + suffix, new JsonObject { ["pool"] = suffix, ["kubernetes.io/hostname"] = "small-" + suffix }, cpu: "1");
        await cluster.NodeAsync("cordoned-" + suffix, new JsonObject { ["pool"] = suffix, ["kubernetes.io/hostname"] = "cordoned-" + suffix }, unschedulable: true);

        var big = new JsonObject
        {
            ["nodeSelector"] = new JsonObject { ["pool"] = suffix },
            ["containers"] = new JsonArray((JsonNode)new JsonObject { ["name"] = "c", ["image"] = "busybox", ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = "2" } } }),
        };
        await cluster.Client.CreateAsync(ResourceRef.ReplicaSets, ns, ReplicaSet("big", 1, big), Ct);
        var message = "";
        await ClusterFixture.WaitAsync(async () =>
        {
            var pod = (await cluster.PodsAsync(ns, "app=big")).SingleOrDefault();
            var condition = (pod?.Find("status.conditions") as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => c.GetString("type") == "PodScheduled");
            message = condition?.GetString("message") ?? "";
            return condition?.GetString("reason") == "Unschedulable";
        }, "the Unschedulable condition");
        Assert.StartsWith("0/", message, StringComparison.Ordinal);
        Assert.Contains("1 Insufficient cpu", message, StringComparison.Ordinal);
        Assert.Contains("1 node(s) had untolerated taint {dedicated: db}", message, StringComparison.Ordinal);
        Assert.Contains("1 node(s) were unschedulable", message, StringComparison.Ordinal);

        // A toleration for the taint lets the pod onto the tainted node, the only one with room.
        var tolerant = (JsonObject)big.DeepClone();
        tolerant["tolerations"] = new JsonArray((JsonNode)new JsonObject { ["key"] = "dedicated", ["operator"] = "Equal", ["value"] = "db", ["effect"] = "NoSchedule" });
        await cluster.Client.CreateAsync(ResourceRef.ReplicaSets, ns, ReplicaSet("tolerant", 1, tolerant), Ct);
        await ClusterFixture.WaitAsync(async () => (await cluster.PodsAsync(ns, "app=tolerant")).SingleOrDefault()?.GetString("spec.nodeName") == "tainted-" + suffix, "the tolerant pod on the tainted node");

        // When a node with room appears, the waiting pod is placed there.
        await cluster.NodeAsync("roomy-" + suffix, new JsonObject { ["pool"] = suffix, ["kubernetes.io/hostname"] = "roomy-" + suffix });
        await ClusterFixture.WaitAsync(async () => (await cluster.PodsAsync(ns, "app=big")).SingleOrDefault()?.GetString("spec.nodeName") == "roomy-" + suffix, "the big pod on the new node");
    }
}
