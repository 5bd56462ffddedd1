using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Monokube.Controllers.Nodes.Ipam;

/// <summary>CIDR arithmetic on IPv4 and IPv6 networks, with addresses as 128-bit numbers.</summary>
public static class Cidr
{
    /// <summary>Parses "address/prefix" as kube does (host bits are masked off, "10.0.0.1/16" is 10.0.0.0/16).</summary>
    public static IPNetwork Parse(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(text[..slash], out var address) || !int.TryParse(text[(slash + 1)..], out var prefix)
            || prefix < 0 || prefix > Bits(address.AddressFamily))
        {
            throw new FormatException($"invalid CIDR address: {text}");
        }

        var bits = Bits(address.AddressFamily);
        return new IPNetwork(ToAddress(ToNumber(address) & Mask(prefix, bits), address.AddressFamily), prefix);
    }

    public static int Bits(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? 128 : 32;

    public static UInt128 ToNumber(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return written == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    public static IPAddress ToAddress(UInt128 number, AddressFamily family)
    {
        if (family == AddressFamily.InterNetwork)
        {
            var v4 = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(v4, (uint)number);
            return new IPAddress(v4);
        }

        var v6 = new byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(v6, number);
        return new IPAddress(v6);
    }

    /// <summary>The network's first and last address as numbers.</summary>
    public static (UInt128 First, UInt128 Last) Range(IPNetwork network)
    {
        var bits = Bits(network.BaseAddress.AddressFamily);
        var first = ToNumber(network.BaseAddress);
        return (first, first | (All(bits) & ~Mask(network.PrefixLength, bits)));
    }

    private static UInt128 Mask(int prefix, int bits) => prefix == 0 ? 0 : All(bits) & (All(bits) << (bits - prefix));

    private static UInt128 All(int bits) => bits == 128 ? UInt128.MaxValue : uint.MaxValue;
}
