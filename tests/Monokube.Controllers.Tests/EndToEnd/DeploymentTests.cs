using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.TestSupport;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>Deployments rolled out, changed, rolled back and scaled, watched with kubectl rollout as users do.</summary>
public sealed class DeploymentTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_rollout_completes_changes_image_and_undoes_with_kubes_names()
    {
        var ns = await cluster.NamespaceAsync();
        var nodes = new[] { "d1-" + ns[2..], "d2-" + ns[2..] };
        foreach (var node in nodes)
        {
            await cluster.NodeAsync(node);
        }

        await using var kubelet = new FakeKubelet(cluster.Client, ns);

        // The template of hash vector (a): kube-controller-manager names its ReplicaSet web-7b84c5f95f.
        await cluster.KubectlOkAsync("create", "deployment", "web", "-n", ns, "--image=nginx:1.25", "--replicas=3");
        await cluster.KubectlOkAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s");
        var first = await ReplicaSetsAsync(ns);
        Assert.Equal(["web-7b84c5f95f"], first.Select(rs => rs.GetString("metadata.name")));
        Assert.Equal("1", first[0].Find("metadata.annotations")!["deployment.kubernetes.io/revision"]!.ToString());
        Assert.Equal("7b84c5f95f", first[0].Find("spec.template.metadata.labels")!["pod-template-hash"]!.ToString());
        var pods = await cluster.PodsAsync(ns);
        Assert.Equal(3, pods.Count);
        Assert.All(pods, p => Assert.StartsWith("web-7b84c5f95f-", p.GetString("metadata.name"), StringComparison.Ordinal));

        var deployment = (await cluster.Client.GetAsync(ResourceRef.Deployments, ns, "web", Ct))!;
        Assert.Equal(3, deployment.Find("status.availableReplicas")!.ToInt());
        var conditions = (deployment.Find("status.conditions") as JsonArray)!.OfType<JsonObject>().ToDictionary(c => c.GetString("type") ?? "");
        Assert.Equal("MinimumReplicasAvailable", conditions["Available"].GetString("reason"));
        Assert.Equal("NewReplicaSetAvailable", conditions["Progressing"].GetString("reason"));
        Assert.Equal("ReplicaSet \"web-7b84c5f95f\" has successfully progressed.", conditions["Progressing"].GetString("message"));

        // A new image: a second ReplicaSet, the first scaled to zero.
        await cluster.KubectlOkAsync("set", "image", "deployment/web", "-n", ns, "nginx=nginx:1.26");
        await cluster.KubectlOkAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s");
        var second = await ReplicaSetsAsync(ns);
        Assert.Equal(2, second.Count);
        var newer = second.Single(rs => rs.GetString("metadata.name") != "web-7b84c5f95f");
        Assert.Equal(3, RolloutReplicas(newer));
        Assert.Equal(0, RolloutReplicas(second.Single(rs => rs.GetString("metadata.name") == "web-7b84c5f95f")));
        Assert.Equal("2", newer.Find("metadata.annotations")!["deployment.kubernetes.io/revision"]!.ToString());

        // Undo: the first ReplicaSet is the new one again, as revision 3.
        await cluster.KubectlOkAsync("rollout", "undo", "deployment/web", "-n", ns);
        await cluster.KubectlOkAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s");
        var third = await ReplicaSetsAsync(ns);
        Assert.Equal(2, third.Count);
        var back = third.Single(rs => rs.GetString("metadata.name") == "web-7b84c5f95f");
        Assert.Equal(3, RolloutReplicas(back));
        Assert.Equal("3", back.Find("metadata.annotations")!["deployment.kubernetes.io/revision"]!.ToString());
        Assert.Equal("1", back.Find("metadata.annotations")!["deployment.kubernetes.io/revision-history"]!.ToString());
        var history = await cluster.KubectlOkAsync("rollout", "history", "deployment/web", "-n", ns);
        Assert.Contains("2 ", history, StringComparison.Ordinal);
        Assert.Contains("3 ", history, StringComparison.Ordinal);

        // Scaling goes to the current ReplicaSet.
        await cluster.KubectlOkAsync("scale", "deployment/web", "-n", ns, "--replicas=5");
        await cluster.KubectlOkAsync("rollout", "status", "deployment/web", "-n", ns, "--timeout=60s");
        Assert.Equal(5, RolloutReplicas((await ReplicaSetsAsync(ns)).Single(rs => rs.GetString("metadata.name") == "web-7b84c5f95f")));
    }

    [Fact]
    public async Task Recreate_stops_every_old_pod_before_starting_new_ones()
    {
        var ns = await cluster.NamespaceAsync();
        var node = "r1-" + ns[2..];
        await cluster.NodeAsync(node);
        await using var kubelet = new FakeKubelet(cluster.Client, ns);
        await cluster.KubectlOkAsync("create", "deployment", "app", "-n", ns, "--image=busybox:1.36", "--replicas=2");
        await cluster.KubectlOkAsync("patch", "deployment/app", "-n", ns, "--type=merge", "-p", """{"spec":{"strategy":{"type":"Recreate","rollingUpdate":null}}}""");
        await cluster.KubectlOkAsync("rollout", "status", "deployment/app", "-n", ns, "--timeout=60s");
        await cluster.KubectlOkAsync("set", "image", "deployment/app", "-n", ns, "busybox=busybox:1.37");
        await cluster.KubectlOkAsync("rollout", "status", "deployment/app", "-n", ns, "--timeout=60s");
        var replicaSets = await ReplicaSetsAsync(ns);
        Assert.Equal([0, 2], replicaSets.Select(RolloutReplicas).Order());
    }

    private static int RolloutReplicas(JsonObject rs) => rs.Find("spec.replicas")!.ToInt();

    private async Task<List<JsonObject>> ReplicaSetsAsync(string ns)
    {
        var list = await cluster.Client.ListAsync(ResourceRef.ReplicaSets, ns, Ct);
        return [.. (list["items"] as JsonArray ?? []).OfType<JsonObject>().OrderBy(rs => rs.GetString("metadata.creationTimestamp"), StringComparer.Ordinal)];
    }
}
