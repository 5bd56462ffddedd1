using System.Net;
using System.Net.Sockets;

namespace Monokube.Controllers.Nodes.Ipam;

/// <summary>
/// What the node-ipam controller allocates from (--cluster-cidr, one CIDR or one of each IP family) and how big each
/// node's CIDR is (--node-cidr-mask-size, or -ipv4/-ipv6; kube's defaults /24 and /64), and the service range
/// (--service-cluster-ip-range) kept out of node CIDRs.
/// </summary>
public sealed record NodeIpamOptions(IReadOnlyList<IPNetwork> ClusterCidrs, IReadOnlyList<int> NodeMaskSizes, IReadOnlyList<IPNetwork> ServiceCidrs)
{
    public const int DefaultIPv4MaskSize = 24;
    public const int DefaultIPv6MaskSize = 64;

    /// <summary>Validates the flags as kube-controller-manager does; a <see cref="FormatException"/> says what is wrong.</summary>
    public static NodeIpamOptions Parse(string clusterCidr, int maskSize, int maskSizeIPv4, int maskSizeIPv6, string serviceCidr)
    {
        var clusters = List(clusterCidr);
        if (clusters.Count == 0)
        {
            throw new FormatException("--allocate-node-cidrs needs --cluster-cidr");
        }

        var dualStack = clusters.Count == 2 && clusters[0].BaseAddress.AddressFamily != clusters[1].BaseAddress.AddressFamily;
        if (clusters.Count > 2 || (clusters.Count == 2 && !dualStack))
        {
            throw new FormatException($"--cluster-cidr takes one CIDR, or two of different IP families (dual stack), not \"{clusterCidr}\"");
        }

        int ipv4 = DefaultIPv4MaskSize, ipv6 = DefaultIPv6MaskSize;
        var singleStackIPv6 = !dualStack && clusters[0].BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
        if (maskSize != 0)
        {
            if (dualStack)
            {
                throw new FormatException("usage of --node-cidr-mask-size is not allowed with dual-stack clusters");
            }

            if (maskSizeIPv4 != 0 || maskSizeIPv6 != 0)
            {
                throw new FormatException("usage of --node-cidr-mask-size-ipv4 and --node-cidr-mask-size-ipv6 is not allowed if --node-cidr-mask-size is set");
            }

            ipv4 = ipv6 = maskSize;
        }
        else
        {
            if (maskSizeIPv4 != 0)
            {
                ipv4 = !singleStackIPv6 ? maskSizeIPv4 : throw new FormatException("usage of --node-cidr-mask-size-ipv4 is not allowed for a single-stack IPv6 cluster");
            }

            if (maskSizeIPv6 != 0)
            {
                ipv6 = dualStack || singleStackIPv6 ? maskSizeIPv6 : throw new FormatException("usage of --node-cidr-mask-size-ipv6 is not allowed for a single-stack IPv4 cluster");
            }
        }

        var sizes = clusters.Select(c => c.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6 ? ipv6 : ipv4).ToList();
        for (var i = 0; i < clusters.Count; i++)
        {
            try
            {
                _ = new CidrSet(clusters[i], sizes[i]);
            }
            catch (ArgumentException e)
            {
                throw new FormatException(e.Message, e);
            }
        }

        return new NodeIpamOptions(clusters, sizes, List(serviceCidr));
    }

    private static List<IPNetwork> List(string cidrs) =>
        [.. cidrs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Cidr.Parse)];
}
