using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Monokube.ApiServer.Hosting;

namespace Monokube.Bench;

/// <summary>
/// Kestrel hosted and configured as monokube's plain-HTTP listener (<see cref="KestrelHost"/>), answering every request
/// by reading its body to the end and returning 201 with a small JSON body: the ceiling the HTTP stack puts on any API
/// server in this process.
/// </summary>
internal sealed class BareKestrelServer : IAsyncDisposable
{
    private static readonly byte[] Created = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Success\",\"code\":201}"u8.ToArray();

    private readonly KestrelHost _kestrel;

    private BareKestrelServer(KestrelHost kestrel, Uri url)
    {
        _kestrel = kestrel;
        Url = url;
    }

    public Uri Url { get; }

    public static async Task<BareKestrelServer> StartAsync()
    {
        var kestrel = await KestrelHost.StartAsync(NullLoggerFactory.Instance, kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http1);
        }, null, AnswerAsync, CancellationToken.None);
        return new BareKestrelServer(kestrel, new Uri(kestrel.Address));
    }

    private static async Task AnswerAsync(HttpContext context)
    {
        var body = context.Request.BodyReader;
        while (true)
        {
            var read = await body.ReadAsync(context.RequestAborted);
            body.AdvanceTo(read.Buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }

        context.Response.StatusCode = StatusCodes.Status201Created;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = Created.Length;
        await context.Response.Body.WriteAsync(Created, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _kestrel.StopAsync(CancellationToken.None);
        await _kestrel.DisposeAsync();
    }
}
