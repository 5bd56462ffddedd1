using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;
using Monokube.Controllers.Nodes;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>The cluster without its own node-lifecycle controller: the test runs one on a clock it moves.</summary>
public sealed class ManualNodeLifecycleCluster : ClusterFixture
{
    protected override ControllerOptions CreateOptions(ApiServer.Hosting.ApiServer server) => new()
    {
        Enabled = ["*", "-node-lifecycle-controller"],
        RootCaPem = CaPem,
    };
}

/// <summary>Nodes whose kubelet goes silent become Unknown and unreachable, and recover when it comes back.</summary>
public sealed class NodeLifecycleTests(ManualNodeLifecycleCluster cluster) : IClassFixture<ManualNodeLifecycleCluster>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_node_that_stops_renewing_its_lease_turns_unknown_and_tainted_and_recovers()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new ControllerOptions { NodeMonitorGracePeriod = TimeSpan.FromSeconds(40), NodeMonitorPeriod = TimeSpan.FromSeconds(5) };
        await using var informers = new InformerFactory(cluster.Client, time, NullLoggerFactory.Instance);
        using var controller = new NodeLifecycleController(new ControllerContext(cluster.Client, informers, time, NullLoggerFactory.Instance, options));
        await informers.StartAndSyncAsync(Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = controller.RunAsync(stop.Token);

        var silent = "silent-" + Guid.NewGuid().ToString("N")[..6];
        var alive = "alive-" + Guid.NewGuid().ToString("N")[..6];
        await cluster.NodeAsync(silent);
        await cluster.NodeAsync(alive);
        await RenewLeaseAsync(silent, time);
        await RenewLeaseAsync(alive, time);

        // A pod of the silent node, Ready until its node is lost.
        var ns = await cluster.NamespaceAsync();
        await cluster.Client.CreateAsync(ResourceRef.Pods, ns, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = "p" },
            ["spec"] = new JsonObject { ["nodeName"] = silent, ["containers"] = new JsonArray((JsonNode)new JsonObject { ["name"] = "c", ["image"] = "x" }) },
        }, Ct);
        var pod = (await cluster.Client.GetAsync(ResourceRef.Pods, ns, "p", Ct))!;
        pod["status"] = new JsonObject { ["phase"] = "Running", ["conditions"] = new JsonArray((JsonNode)new JsonObject { ["type"] = "Ready", ["status"] = "True" }) };
        await cluster.Client.UpdateAsync(ResourceRef.Pods, pod, Ct, subresource: "status");

        // 50 s pass in monitor periods; only the alive node's kubelet renews its Lease.
        for (var i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromSeconds(5));
            await RenewLeaseAsync(alive, time);
        }

        await ClusterFixture.WaitAsync(async () => HasTaint(await NodeAsync(silent), NodeLifecycleController.UnreachableTaint, "NoExecute"), "the silent node to be tainted unreachable");
        var lost = await NodeAsync(silent);
        var ready = Conditions.Find(lost, "Ready")!;
        Assert.Equal("Unknown", ready.GetString("status"));
        Assert.Equal("NodeStatusUnknown", ready.GetString("reason"));
        Assert.Equal("Kubelet stopped posting node status.", ready.GetString("message"));
        Assert.Equal("Unknown", Conditions.Find(lost, "MemoryPressure")!.GetString("status"));
        Assert.True(HasTaint(lost, NodeLifecycleController.UnreachableTaint, "NoSchedule"));
        await ClusterFixture.WaitAsync(async () => Conditions.Find((await cluster.Client.GetAsync(ResourceRef.Pods, ns, "p", Ct))!, "Ready")?.GetString("status") == "False", "the lost node's pod to be marked not ready");

        var fine = await NodeAsync(alive);
        Assert.Equal("True", Conditions.Find(fine, "Ready")!.GetString("status"));
        Assert.Null(fine.Find("spec.taints"));

        // The kubelet comes back: Lease renewed, Ready posted; the taints go.
        await RenewLeaseAsync(silent, time);
        var back = await NodeAsync(silent);
        var condition = Conditions.Find(back, "Ready")!;
        condition["status"] = "True";
        condition["reason"] = "KubeletReady";
        condition["lastHeartbeatTime"] = KubeTime.Format(time.GetUtcNow());
        await cluster.Client.UpdateAsync(ResourceRef.Nodes, back, Ct, subresource: "status");
        time.Advance(TimeSpan.FromSeconds(5));
        await ClusterFixture.WaitAsync(async () => (await NodeAsync(silent)).Find("spec.taints") is null, "the returning node's taints to be removed");

        await stop.CancelAsync();
        await running;
    }

    private async Task<JsonObject> NodeAsync(string name) => (await cluster.Client.GetAsync(ResourceRef.Nodes, null, name, Ct))!;

    private async Task RenewLeaseAsync(string node, TimeProvider time)
    {
        var lease = await cluster.Client.GetAsync(ResourceRef.Leases, "kube-node-lease", node, Ct);
        var renew = KubeTime.FormatMicro(time.GetUtcNow());
        if (lease is null)
        {
            await cluster.Client.CreateAsync(ResourceRef.Leases, "kube-node-lease", new JsonObject
            {
                ["apiVersion"] = "coordination.k8s.io/v1",
                ["kind"] = "Lease",
                ["metadata"] = new JsonObject { ["name"] = node },
                ["spec"] = new JsonObject { ["holderIdentity"] = node, ["leaseDurationSeconds"] = 40, ["renewTime"] = renew },
            }, Ct);
            return;
        }

        lease["spec"]!["renewTime"] = renew;
        await cluster.Client.UpdateAsync(ResourceRef.Leases, lease, Ct);
    }

    private static bool HasTaint(JsonObject node, string key, string effect) =>
        (node.Find("spec.taints") as JsonArray ?? []).OfType<JsonObject>().Any(t => t.GetString("key") == key && t.GetString("effect") == effect);
}
