using System.Collections;
using System.Net;

namespace Monokube.Controllers.Nodes.Ipam;

/// <summary>
/// The node CIDRs of one cluster CIDR, as kube's cidrset: the cluster CIDR cut into subnets of the node mask size,
/// each free or used. Allocation goes round from the subnet after the last one handed out, so a released CIDR is not
/// handed out again at once. Not thread-safe.
/// </summary>
public sealed class CidrSet
{
    /// <summary>At most 2^16 node CIDRs per cluster CIDR.</summary>
    public const int MaxPrefixDifference = 16;

    private readonly BitArray _used;
    private readonly UInt128 _first;
    private readonly int _hostBits;
    private int _next;

    public CidrSet(IPNetwork cluster, int nodeMaskSize)
    {
        var bits = Cidr.Bits(cluster.BaseAddress.AddressFamily);
        if (nodeMaskSize < cluster.PrefixLength || nodeMaskSize > bits)
        {
            throw new ArgumentException($"the node CIDR mask size {nodeMaskSize} does not fit the cluster CIDR {cluster} (it must be between {cluster.PrefixLength} and {bits})");
        }

        if (nodeMaskSize - cluster.PrefixLength > MaxPrefixDifference)
        {
            throw new ArgumentException($"the node CIDR mask size {nodeMaskSize} cuts the cluster CIDR {cluster} into more than 2^{MaxPrefixDifference} node CIDRs");
        }

        Cluster = cluster;
        NodeMaskSize = nodeMaskSize;
        _first = Cidr.ToNumber(cluster.BaseAddress);
        _hostBits = bits - nodeMaskSize;
        _used = new BitArray(1 << (nodeMaskSize - cluster.PrefixLength));
    }

    public IPNetwork Cluster { get; }

    public int NodeMaskSize { get; }

    /// <summary>How many node CIDRs the cluster CIDR holds.</summary>
    public int Capacity => _used.Length;

    public int Used { get; private set; }

    /// <summary>The next free node CIDR, marked used; false when every one is taken.</summary>
    public bool TryAllocateNext(out IPNetwork cidr)
    {
        for (var i = 0; i < _used.Length; i++)
        {
            var candidate = (_next + i) % _used.Length;
            if (!_used[candidate])
            {
                _used[candidate] = true;
                Used++;
                _next = (candidate + 1) % _used.Length;
                cidr = At(candidate);
                return true;
            }
        }

        cidr = default;
        return false;
    }

    /// <summary>Marks every node CIDR that overlaps <paramref name="cidr"/> used; false when it lies outside the cluster CIDR.</summary>
    public bool Occupy(IPNetwork cidr) => Mark(cidr, used: true);

    /// <summary>Frees every node CIDR that overlaps <paramref name="cidr"/>.</summary>
    public bool Release(IPNetwork cidr) => Mark(cidr, used: false);

    public bool IsUsed(IPNetwork cidr) => Indices(cidr) is { } range && range.Begin == range.End && _used[range.Begin];

    private bool Mark(IPNetwork cidr, bool used)
    {
        if (Indices(cidr) is not { } range)
        {
            return false;
        }

        for (var i = range.Begin; i <= range.End; i++)
        {
            if (_used[i] != used)
            {
                _used[i] = used;
                Used += used ? 1 : -1;
            }
        }

        return true;
    }

    // The node CIDRs that overlap a network, clipped to the cluster CIDR; null when none does.
    private (int Begin, int End)? Indices(IPNetwork cidr)
    {
        if (cidr.BaseAddress.AddressFamily != Cluster.BaseAddress.AddressFamily)
        {
            return null;
        }

        var (clusterFirst, clusterLast) = Cidr.Range(Cluster);
        var (first, last) = Cidr.Range(cidr);
        if (last < clusterFirst || first > clusterLast)
        {
            return null;
        }

        first = first < clusterFirst ? clusterFirst : first;
        last = last > clusterLast ? clusterLast : last;
        return ((int)((first - _first) >> _hostBits), (int)((last - _first) >> _hostBits));
    }

    private IPNetwork At(int index) =>
        new(Cidr.ToAddress(_first + ((UInt128)(uint)index << _hostBits), Cluster.BaseAddress.AddressFamily), NodeMaskSize);
}
