using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Workloads;

namespace Monokube.Controllers.Tests.Unit;

/// <summary>Which nodes a DaemonSet's pods belong on, the pods it makes, and its rolling update's limits, as kube's controller decides them.</summary>
public sealed class DaemonPodsTests
{
    private static readonly string[] DefaultTolerations =
    [
        "node.kubernetes.io/not-ready:NoExecute",
        "node.kubernetes.io/unreachable:NoExecute",
        "node.kubernetes.io/disk-pressure:NoSchedule",
        "node.kubernetes.io/memory-pressure:NoSchedule",
        "node.kubernetes.io/pid-pressure:NoSchedule",
        "node.kubernetes.io/unschedulable:NoSchedule",
    ];

    [Theory]
    [InlineData("dedicated", "NoSchedule", false, true)]
    [InlineData("dedicated", "NoExecute", false, false)]
    [InlineData("dedicated", "PreferNoSchedule", true, true)]
    [InlineData("node.kubernetes.io/unschedulable", "NoSchedule", true, true)]
    [InlineData("node.kubernetes.io/not-ready", "NoExecute", true, true)]
    [InlineData("node.kubernetes.io/unreachable", "NoExecute", true, true)]
    [InlineData("node.kubernetes.io/memory-pressure", "NoSchedule", true, true)]
    [InlineData("node.kubernetes.io/network-unavailable", "NoSchedule", false, true)]
    public void Taints_are_judged_with_the_daemon_tolerations_and_only_no_execute_evicts(string key, string effect, bool shouldRun, bool shouldContinueRunning)
    {
        var node = Node("n1", taints: new JsonArray((JsonNode)new JsonObject { ["key"] = key, ["effect"] = effect }));
        Assert.Equal((shouldRun, shouldContinueRunning), DaemonPods.ShouldRun(node, DaemonSet()));
    }

    [Fact]
    public void A_tolerated_no_execute_taint_lets_a_pod_stay_where_no_new_one_would_go()
    {
        var ds = DaemonSet(tolerations: new JsonArray((JsonNode)new JsonObject { ["key"] = "dedicated", ["operator"] = "Exists", ["effect"] = "NoExecute" }));
        var node = Node("n1", taints: new JsonArray(
            (JsonNode)new JsonObject { ["key"] = "dedicated", ["effect"] = "NoExecute" },
            new JsonObject { ["key"] = "gpu", ["value"] = "yes", ["effect"] = "NoSchedule" }));
        Assert.Equal((false, true), DaemonPods.ShouldRun(node, ds));
    }

    [Fact]
    public void Host_network_pods_tolerate_an_unavailable_network()
    {
        var ds = DaemonSet();
        ds["spec"]!["template"]!["spec"]!["hostNetwork"] = true;
        var node = Node("n1", taints: new JsonArray((JsonNode)new JsonObject { ["key"] = "node.kubernetes.io/network-unavailable", ["effect"] = "NoSchedule" }));
        Assert.Equal((true, true), DaemonPods.ShouldRun(node, ds));
    }

    [Fact]
    public void Node_selector_affinity_and_node_name_decide_before_taints()
    {
        var ds = DaemonSet();
        ds["spec"]!["template"]!["spec"]!["nodeSelector"] = new JsonObject { ["role"] = "agent" };
        Assert.Equal((false, false), DaemonPods.ShouldRun(Node("n1"), ds));
        Assert.Equal((true, true), DaemonPods.ShouldRun(Node("n1", new JsonObject { ["role"] = "agent" }), ds));

        ds["spec"]!["template"]!["spec"]!["nodeName"] = "n2";
        Assert.Equal((false, false), DaemonPods.ShouldRun(Node("n1", new JsonObject { ["role"] = "agent" }), ds));
    }

    [Fact]
    public void A_new_pod_carries_the_default_tolerations_hash_labels_and_a_node_name_affinity()
    {
        var ds = DaemonSet(tolerations: new JsonArray((JsonNode)new JsonObject { ["key"] = "node.kubernetes.io/not-ready", ["operator"] = "Exists", ["effect"] = "NoExecute", ["tolerationSeconds"] = 30 }));
        ds["metadata"]!["annotations"] = new JsonObject { ["deprecated.daemonset.template.generation"] = "3" };
        ds["spec"]!["template"]!["spec"]!["affinity"] = JsonNode.Parse("""
            {"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"role","operator":"In","values":["agent"]}]}]},
             "preferredDuringSchedulingIgnoredDuringExecution":[{"weight":1,"preference":{"matchExpressions":[{"key":"zone","operator":"In","values":["a"]}]}}]}}
            """);

        var pod = DaemonPods.NewPod(ds, "n7", "abc123");

        Assert.Equal("agent-", pod.GetString("metadata.generateName"));
        Assert.Equal("""{"app":"agent","pod-template-generation":"3","controller-revision-hash":"abc123"}""", pod.Find("metadata.labels")!.ToJsonString());
        var owner = (pod.Find("metadata.ownerReferences") as JsonArray)!.Single()!.AsObject();
        Assert.True(owner.GetBool("controller") && owner.GetBool("blockOwnerDeletion"));
        Assert.Equal("DaemonSet", owner.GetString("kind"));
        Assert.Equal(
            """{"nodeSelectorTerms":[{"matchFields":[{"key":"metadata.name","operator":"In","values":["n7"]}]}]}""",
            pod.Find("spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution")!.ToJsonString());
        Assert.NotNull(pod.Find("spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution"));
        var tolerations = (pod.Find("spec.tolerations") as JsonArray)!.OfType<JsonObject>().ToList();
        Assert.Equal(DefaultTolerations, tolerations.Select(t => t.GetString("key") + ":" + t.GetString("effect")));
        Assert.All(tolerations, t => Assert.Equal("Exists", t.GetString("operator")));

        // The template's own not-ready toleration matches the default but for its seconds: the default replaces it
        // in the pod (kube's AddOrUpdateTolerationInPodSpec), and the DaemonSet itself is left alone.
        Assert.Equal(30, ((JsonArray)ds.Find("spec.template.spec.tolerations")!)[0]!["tolerationSeconds"]!.ToInt());
        Assert.DoesNotContain(tolerations, t => t["tolerationSeconds"] is not null);
        Assert.Equal("n7", DaemonPods.TargetNode(pod));
    }

    [Theory]
    [InlineData("1", null, 10, 0, 1)]
    [InlineData("3", null, 10, 0, 3)]
    [InlineData("\"25%\"", null, 10, 0, 3)]
    [InlineData("\"50%\"", null, 3, 0, 2)]
    [InlineData("0", "1", 10, 1, 0)]
    [InlineData("0", "\"10%\"", 15, 2, 0)]
    [InlineData("0", "0", 10, 0, 1)]
    [InlineData("\"0%\"", null, 10, 0, 1)]
    public void Max_unavailable_and_surge_resolve_rounding_up(string maxUnavailable, string? maxSurge, int desired, int surge, int unavailable)
    {
        var ds = DaemonSet();
        var rolling = new JsonObject { ["maxUnavailable"] = JsonNode.Parse(maxUnavailable) };
        if (maxSurge is not null)
        {
            rolling["maxSurge"] = JsonNode.Parse(maxSurge);
        }

        ds["spec"]!["updateStrategy"] = new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = rolling };
        Assert.Equal((surge, unavailable), DaemonPods.SurgeAndUnavailable(ds, desired));
    }

    [Fact]
    public void On_delete_rolls_nothing()
    {
        var ds = DaemonSet();
        ds["spec"]!["updateStrategy"] = new JsonObject { ["type"] = "OnDelete" };
        Assert.Equal((0, 0), DaemonPods.SurgeAndUnavailable(ds, 5));
        Assert.False(DaemonPods.AllowsSurge(ds));
    }

    [Fact]
    public void A_pod_is_current_by_hash_or_by_template_generation()
    {
        var pod = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["controller-revision-hash"] = "h1", ["pod-template-generation"] = "2" } } };
        Assert.True(DaemonPods.IsUpdated(pod, "h1", 5));
        Assert.True(DaemonPods.IsUpdated(pod, "h2", 2));
        Assert.False(DaemonPods.IsUpdated(pod, "h2", 3));
        Assert.False(DaemonPods.IsUpdated(pod, "h2", null));
    }

    private static JsonObject DaemonSet(JsonArray? tolerations = null)
    {
        var podSpec = new JsonObject { ["containers"] = new JsonArray((JsonNode)new JsonObject { ["name"] = "agent", ["image"] = "busybox" }) };
        if (tolerations is not null)
        {
            podSpec["tolerations"] = tolerations;
        }

        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "DaemonSet",
            ["metadata"] = new JsonObject { ["name"] = "agent", ["namespace"] = "default", ["uid"] = "u-1" },
            ["spec"] = new JsonObject
            {
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "agent" } },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = "agent" } },
                    ["spec"] = podSpec,
                },
            },
        };
    }

    private static JsonObject Node(string name, JsonObject? labels = null, JsonArray? taints = null) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels ?? new JsonObject() },
        ["spec"] = taints is null ? new JsonObject() : new JsonObject { ["taints"] = taints },
    };
}
