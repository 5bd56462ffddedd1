using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.Controllers.Informers;
using Monokube.Controllers.Nodes;
using Monokube.Controllers.Nodes.Ipam;

namespace Monokube.Controllers.Tests.EndToEnd;

/// <summary>The node-ipam controller (--allocate-node-cidrs), run by the test so nodes can exist before it starts.</summary>
public sealed class NodeIpamTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Nodes_get_pod_cidrs_of_their_own_outside_the_service_range_and_freed_ones_are_reused()
    {
        // 10.244.0.0/22 holds four /24s; the service range takes one; a node already has another.
        var options = new ControllerOptions { NodeIpam = NodeIpamOptions.Parse("10.244.0.0/22", 24, 0, 0, "10.244.3.0/24") };
        await CreateNodeAsync("pre", "10.244.0.0/24");

        await using var informers = new InformerFactory(cluster.Client, TimeProvider.System, NullLoggerFactory.Instance);
        using var controller = new NodeIpamController(new ControllerContext(cluster.Client, informers, TimeProvider.System, NullLoggerFactory.Instance, options));
        await informers.StartAndSyncAsync(Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = controller.RunAsync(stop.Token);

        await CreateNodeAsync("a");
        await CreateNodeAsync("b");
        var a = await PodCidrsAsync("a");
        var b = await PodCidrsAsync("b");
        Assert.Equal(["10.244.0.0/24"], await PodCidrsAsync("pre"));
        Assert.Equal(new HashSet<string> { "10.244.1.0/24", "10.244.2.0/24" }, new HashSet<string> { a.Single(), b.Single() });
        var node = (await cluster.Client.GetAsync(ResourceRef.Nodes, null, "a", Ct))!;
        Assert.Equal(a.Single(), node.GetString("spec.podCIDR"));

        // Every node CIDR is taken: the next node waits with a CIDRNotAvailable event...
        await CreateNodeAsync("c");
        await ClusterFixture.WaitAsync(async () => (await EventsAboutAsync("c")).Contains("CIDRNotAvailable"), "a CIDRNotAvailable event for the node that found no CIDR");
        Assert.Empty(await NodeCidrsNowAsync("c"));

        // ...until a node goes, and its CIDR is handed to the waiting one.
        await cluster.Client.DeleteAsync(ResourceRef.Nodes, null, "a", Ct);
        Assert.Equal(a, await PodCidrsAsync("c"));
        Assert.Equal((4, 4), (controller.Usage.Single().Capacity, controller.Usage.Single().Used));

        await stop.CancelAsync();
        await running;
    }

    private async Task<JsonObject> CreateNodeAsync(string name, string? podCidr = null)
    {
        var node = await cluster.NodeAsync(name);
        if (podCidr is null)
        {
            return node;
        }

        var patch = new JsonObject { ["spec"] = new JsonObject { ["podCIDR"] = podCidr, ["podCIDRs"] = new JsonArray((JsonNode)podCidr) } };
        return await cluster.Client.PatchAsync(ResourceRef.Nodes, null, name, "application/strategic-merge-patch+json", patch, Ct);
    }

    private async Task<List<string>> PodCidrsAsync(string name)
    {
        List<string> cidrs = [];
        await ClusterFixture.WaitAsync(async () => (cidrs = await NodeCidrsNowAsync(name)).Count > 0, $"node {name} to get a pod CIDR");
        return cidrs;
    }

    private async Task<List<string>> NodeCidrsNowAsync(string name) =>
        [.. ((await cluster.Client.GetAsync(ResourceRef.Nodes, null, name, Ct))?.Find("spec.podCIDRs") as JsonArray ?? []).Select(c => c!.ToString())];

    private async Task<List<string>> EventsAboutAsync(string node)
    {
        var list = await cluster.Client.ListAsync(new ResourceRef("events.k8s.io", "v1", "events", true), "default", Ct);
        return [.. (list["items"] as JsonArray ?? []).OfType<JsonObject>().Where(e => e.GetString("regarding.name") == node).Select(e => e.GetString("reason") ?? "")];
    }
}
