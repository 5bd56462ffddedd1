using System.Text.Json.Nodes;
using Monokube.Controllers.Scheduling;

namespace Monokube.Controllers.Tests.Unit;

public sealed class NodeUsageTests
{
    private static JsonObject Pod(string cpu, int? hostPort = null, string? owner = null)
    {
        var container = new JsonObject { ["name"] = "c", ["resources"] = new JsonObject { ["requests"] = new JsonObject { ["cpu"] = cpu } } };
        if (hostPort is { } port)
        {
            container["ports"] = new JsonArray((JsonNode)new JsonObject { ["containerPort"] = port, ["hostPort"] = port });
        }

        var pod = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "p" }, ["spec"] = new JsonObject { ["containers"] = new JsonArray((JsonNode)container) } };
        if (owner is not null)
        {
            pod["metadata"]!["ownerReferences"] = new JsonArray((JsonNode)new JsonObject { ["kind"] = "ReplicaSet", ["name"] = "rs", ["uid"] = owner, ["controller"] = true });
        }

        return pod;
    }

    private static JsonObject Node(string cpu, int pods) => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "n" },
        ["status"] = new JsonObject { ["allocatable"] = new JsonObject { ["cpu"] = cpu, ["memory"] = "1Gi", ["pods"] = pods.ToString(System.Globalization.CultureInfo.InvariantCulture) } },
    };

    [Fact]
    public void Adding_and_removing_pods_keeps_the_sums_of_requests_ports_and_controllers()
    {
        var usage = new NodeUsage();
        var web = PodFootprint.Of(Pod("250m", hostPort: 80, owner: "rs-1"));
        var worker = PodFootprint.Of(Pod("500m", owner: "rs-1"));
        usage.Add(web);
        usage.Add(worker);

        Assert.Equal(2, usage.Pods);
        Assert.Equal(0.75m, usage.Requested["cpu"]);
        Assert.Equal(2, usage.OwnedBy("rs-1"));
        Assert.Equal(0, usage.OwnedBy("rs-2"));
        Assert.Equal([new HostPort(80, "TCP", "")], usage.HostPorts);

        usage.Remove(web);
        Assert.Equal(1, usage.Pods);
        Assert.Equal(0.5m, usage.Requested["cpu"]);
        Assert.Equal(1, usage.OwnedBy("rs-1"));
        Assert.Empty(usage.HostPorts);
    }

    [Fact]
    public void A_node_refuses_by_its_usage_in_the_schedulers_words()
    {
        var usage = new NodeUsage();
        usage.Add(PodFootprint.Of(Pod("750m", hostPort: 80)));
        var pod = Pod("500m", hostPort: 80);

        var reasons = NodeFit.Reasons(pod, PodFootprint.Of(pod), NodeInfo.Of(Node("1", pods: 1)), usage);

        Assert.Equal([NodeFit.PortsTaken, NodeFit.TooManyPods, "Insufficient cpu"], reasons);
        Assert.Empty(NodeFit.Reasons(pod, PodFootprint.Of(pod), NodeInfo.Of(Node("2", pods: 10)), new NodeUsage()));
    }

    [Theory]
    [InlineData("", "127.0.0.1", true)]
    [InlineData("0.0.0.0", "10.0.0.1", true)]
    [InlineData("10.0.0.1", "10.0.0.1", true)]
    [InlineData("10.0.0.1", "10.0.0.2", false)]
    public void Host_ports_conflict_on_the_same_address_or_on_every_address(string ip, string other, bool conflicts)
    {
        Assert.Equal(conflicts, new HostPort(80, "TCP", ip).ConflictsWith(new HostPort(80, "TCP", other)));
        Assert.False(new HostPort(80, "TCP", ip).ConflictsWith(new HostPort(80, "UDP", other)));
    }
}
