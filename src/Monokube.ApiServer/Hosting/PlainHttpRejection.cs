using System.Buffers;
using Microsoft.AspNetCore.Connections;

namespace Monokube.ApiServer.Hosting;

/// <summary>
/// On the TLS port, a connection that starts with a plain HTTP request line gets what kube-apiserver (Go's TLS
/// server) answers — "400 Bad Request: Client sent an HTTP request to an HTTPS server." — instead of a silent reset.
/// Connections that start with a TLS record go on to the handshake untouched.
/// </summary>
public static class PlainHttpRejection
{
    private const byte TlsHandshakeRecord = 0x16;

    private static readonly string[] HttpMethodPrefixes = ["GET /", "HEAD ", "POST ", "PUT /", "OPTIO", "PATCH", "DELET"];

    private static ReadOnlySpan<byte> Answer => "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n"u8;

    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => async connection =>
    {
        var input = connection.Transport.Input;
        var result = await input.ReadAtLeastAsync(1, connection.ConnectionClosed);
        var buffer = result.Buffer;
        if (buffer.IsEmpty || buffer.FirstSpan[0] == TlsHandshakeRecord)
        {
            input.AdvanceTo(buffer.Start);
            await next(connection);
            return;
        }

        var head = buffer.Slice(0, Math.Min(buffer.Length, 5)).ToArray();
        input.AdvanceTo(buffer.End);
        if (HttpMethodPrefixes.Any(p => System.Text.Encoding.ASCII.GetString(head).StartsWith(p, StringComparison.Ordinal) || p.StartsWith(System.Text.Encoding.ASCII.GetString(head), StringComparison.Ordinal)))
        {
            await connection.Transport.Output.WriteAsync(Answer.ToArray(), connection.ConnectionClosed);
        }
    };
}
