using System.Net;
using Monokube.Controllers.Nodes.Ipam;

namespace Monokube.Controllers.Tests.Unit;

/// <summary>Node CIDRs cut from a cluster CIDR: handed out once each, round, taken when in use, freed when released.</summary>
public sealed class CidrSetTests
{
    [Fact]
    public void Node_cidrs_are_handed_out_in_order_and_never_twice()
    {
        var set = new CidrSet(Cidr.Parse("10.244.0.0/22"), 24);
        Assert.Equal(4, set.Capacity);
        var handed = new List<string>();
        while (set.TryAllocateNext(out var cidr))
        {
            handed.Add(cidr.ToString());
        }

        Assert.Equal(["10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24", "10.244.3.0/24"], handed);
        Assert.Equal(4, set.Used);
        Assert.False(set.TryAllocateNext(out _));
    }

    [Fact]
    public void A_released_cidr_is_free_again_but_allocation_goes_round_first()
    {
        var set = new CidrSet(Cidr.Parse("10.0.0.0/16"), 24);
        Assert.True(set.TryAllocateNext(out var first));
        Assert.True(set.TryAllocateNext(out var second));
        Assert.True(set.Release(first));
        Assert.True(set.TryAllocateNext(out var third));
        Assert.Equal("10.0.2.0/24", third.ToString());
        Assert.False(set.IsUsed(first));
        Assert.True(set.IsUsed(second));

        var small = new CidrSet(Cidr.Parse("10.0.0.0/23"), 24);
        Assert.True(small.TryAllocateNext(out var a));
        Assert.True(small.TryAllocateNext(out _));
        small.Release(a);
        Assert.True(small.TryAllocateNext(out var again));
        Assert.Equal(a, again);
    }

    [Fact]
    public void Occupied_ranges_are_skipped_and_ranges_outside_the_cluster_are_refused()
    {
        var set = new CidrSet(Cidr.Parse("10.96.0.0/12"), 16);
        Assert.Equal(16, set.Capacity);

        // A service range inside the cluster CIDR takes the node CIDRs it overlaps; one bigger than a node CIDR takes several.
        Assert.True(set.Occupy(Cidr.Parse("10.96.0.0/15")));
        Assert.Equal(2, set.Used);
        Assert.True(set.TryAllocateNext(out var cidr));
        Assert.Equal("10.98.0.0/16", cidr.ToString());

        // A node's existing smaller CIDR takes the node CIDR around it.
        Assert.True(set.Occupy(Cidr.Parse("10.99.7.0/24")));
        Assert.True(set.TryAllocateNext(out cidr));
        Assert.Equal("10.100.0.0/16", cidr.ToString());

        Assert.False(set.Occupy(Cidr.Parse("192.168.0.0/24")));
        Assert.False(set.Occupy(Cidr.Parse("fd00::/64")));
    }

    [Fact]
    public void Ipv6_cluster_cidrs_are_cut_the_same_way()
    {
        var set = new CidrSet(Cidr.Parse("fd00:10:244::/56"), 64);
        Assert.Equal(256, set.Capacity);
        Assert.True(set.TryAllocateNext(out var first));
        Assert.True(set.TryAllocateNext(out var second));
        Assert.Equal(IPNetwork.Parse("fd00:10:244::/64"), first);
        Assert.Equal(IPNetwork.Parse("fd00:10:244:1::/64"), second);
    }

    [Fact]
    public void Cidrs_parse_as_kube_parses_them_with_host_bits_masked()
    {
        Assert.Equal("10.0.0.0/16", Cidr.Parse("10.0.3.4/16").ToString());
        Assert.Throws<FormatException>(() => Cidr.Parse("10.0.0.0"));
        Assert.Throws<FormatException>(() => Cidr.Parse("10.0.0.0/33"));
    }

    [Theory]
    [InlineData("10.244.0.0/16", 0, 0, 0, "", "10.244.0.0/16:24")]
    [InlineData("10.244.0.0/16", 26, 0, 0, "", "10.244.0.0/16:26")]
    [InlineData("fd00::/48", 0, 0, 0, "", "fd00::/48:64")]
    [InlineData("10.244.0.0/16,fd00::/48", 0, 25, 0, "", "10.244.0.0/16:25 fd00::/48:64")]
    public void The_flags_give_the_cluster_cidrs_and_mask_sizes(string cluster, int mask, int maskV4, int maskV6, string services, string expected)
    {
        var options = NodeIpamOptions.Parse(cluster, mask, maskV4, maskV6, services);
        Assert.Equal(expected, string.Join(' ', options.ClusterCidrs.Select((c, i) => $"{c}:{options.NodeMaskSizes[i]}")));
    }

    [Theory]
    [InlineData("", 0, 0, 0, "--allocate-node-cidrs needs --cluster-cidr")]
    [InlineData("10.0.0.0/16,10.1.0.0/16", 0, 0, 0, "two of different IP families")]
    [InlineData("10.0.0.0/16,fd00::/48", 24, 0, 0, "usage of --node-cidr-mask-size is not allowed with dual-stack clusters")]
    [InlineData("10.0.0.0/16", 0, 0, 64, "usage of --node-cidr-mask-size-ipv6 is not allowed for a single-stack IPv4 cluster")]
    [InlineData("10.0.0.0/24", 16, 0, 0, "does not fit the cluster CIDR")]
    [InlineData("10.0.0.0/8", 30, 0, 0, "more than 2^16 node CIDRs")]
    [InlineData("10.0.0.0/x", 0, 0, 0, "invalid CIDR address: 10.0.0.0/x")]
    public void Bad_flags_are_refused_with_kubes_reasons(string cluster, int mask, int maskV4, int maskV6, string message)
    {
        var e = Assert.Throws<FormatException>(() => NodeIpamOptions.Parse(cluster, mask, maskV4, maskV6, ""));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }
}
