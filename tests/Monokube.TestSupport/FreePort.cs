using System.Net;
using System.Net.Sockets;

namespace Monokube.TestSupport;

/// <summary>Free loopback ports for programs (such as etcd) that cannot listen on port 0 and report the port.</summary>
public static class FreePort
{
    private static readonly HashSet<int> Handed = [];

    public static int Next()
    {
        while (true)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)socket.LocalEndPoint!).Port;
            lock (Handed)
            {
                // Never hand the same port to two fixtures of one test run.
                if (Handed.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
