using System.Net;
using System.Net.Sockets;

namespace Monokube.ApiServer.Services;

/// <summary>An IPv4 service CIDR (kube-apiserver's --service-cluster-ip-range).</summary>
public sealed record ServiceIpRange(IPAddress Network, int PrefixLength)
{
    public static ServiceIpRange Default { get; } = Parse("10.0.0.0/24");

    public long Size => 1L << (32 - PrefixLength);

    public static ServiceIpRange Parse(string cidr)
    {
        var parts = cidr.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var address) || address.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(parts[1], out var prefix) || prefix is < 8 or > 30)
        {
            throw new FormatException($"\"{cidr}\" is not an IPv4 CIDR between /8 and /30");
        }

        var network = ToUInt(address) & (uint.MaxValue << (32 - prefix));
        return new ServiceIpRange(FromUInt(network), prefix);
    }

    /// <summary>The address at an offset from the network address (1 is the first usable one).</summary>
    public IPAddress At(long offset) => FromUInt((uint)(ToUInt(Network) + offset));

    public bool Contains(IPAddress address, out long offset)
    {
        offset = (long)ToUInt(address) - ToUInt(Network);
        return address.AddressFamily == AddressFamily.InterNetwork && offset > 0 && offset < Size - 1;
    }

    public override string ToString() => $"{Network}/{PrefixLength}";

    private static uint ToUInt(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return ((uint)bytes[0] << 24) | ((uint)bytes[1] << 16) | ((uint)bytes[2] << 8) | bytes[3];
    }

    private static IPAddress FromUInt(uint value) => new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
}
