using System.Net.Sockets;

namespace Monokube.Controllers.Client;

/// <summary>
/// Opens a client's TCP connections and can close them all at once. A TLS client certificate is presented only in
/// the handshake, so after a certificate rotation the kubelet closes its open connections to make every later
/// request reconnect with the new certificate; this is that for a <see cref="KubeClient"/>.
/// </summary>
public sealed class ConnectionTracker
{
    private readonly Lock _lock = new();
    private readonly HashSet<NetworkStream> _open = [];

    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var stream = new TrackedStream(socket, this);
        lock (_lock)
        {
            _open.Add(stream);
        }

        return stream;
    }

    /// <summary>Closes every open connection; requests on them fail and the next ones connect again.</summary>
    public int CloseAll()
    {
        NetworkStream[] open;
        lock (_lock)
        {
            open = [.. _open];
            _open.Clear();
        }

        foreach (var stream in open)
        {
            stream.Dispose();
        }

        return open.Length;
    }

    private void Forget(NetworkStream stream)
    {
        lock (_lock)
        {
            _open.Remove(stream);
        }
    }

    private sealed class TrackedStream(Socket socket, ConnectionTracker tracker) : NetworkStream(socket, ownsSocket: true)
    {
        protected override void Dispose(bool disposing)
        {
            tracker.Forget(this);
            base.Dispose(disposing);
        }
    }
}
