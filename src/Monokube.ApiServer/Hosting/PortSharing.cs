using System.Net;
using System.Net.Sockets;

namespace Monokube.ApiServer.Hosting;

/// <summary>
/// Listening sockets with SO_REUSEPORT, as kube-apiserver's --permit-port-sharing sets: processes of the same user
/// share one address and port and the kernel spreads new connections over them; when one closes its socket the
/// others take every new connection. This is how the pivot hands the apiserver port over without a gap.
/// </summary>
public static class PortSharing
{
    private const int SolSocket = 1;
    private const int SoReusePort = 15;

    public static Socket BindShared(EndPoint endpoint)
    {
        var socket = endpoint is IPEndPoint ip
            ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp)
            : throw new NotSupportedException($"port sharing needs an IP endpoint, not {endpoint}");
        try
        {
            if (ip.AddressFamily == AddressFamily.InterNetworkV6 && ip.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (OperatingSystem.IsLinux())
            {
                socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            }

            socket.Bind(endpoint);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
