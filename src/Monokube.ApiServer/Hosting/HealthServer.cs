using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Health;

namespace Monokube.ApiServer.Hosting;

/// <summary>
/// The secure port of kube-controller-manager and kube-scheduler (--bind-address, --secure-port) as monokube's
/// components serve it: /healthz, /livez and /readyz over HTTPS, answering "ok" while every check passes. These are
/// the paths kube lets in without credentials (--authorization-always-allow-paths), and the only ones served, so no
/// request needs authenticating; anything else is 404.
/// </summary>
public sealed class HealthServer : IAsyncDisposable
{
    private readonly KestrelHost _kestrel;

    private HealthServer(KestrelHost kestrel, Uri url)
    {
        _kestrel = kestrel;
        Url = url;
    }

    /// <summary>Where the server listens (the real port when 0 was asked for).</summary>
    public Uri Url { get; }

    /// <summary>Listens and serves; an address that cannot be bound throws an <see cref="IOException"/>.</summary>
    public static async Task<HealthServer> StartAsync(IPAddress address, int port, X509Certificate2 certificate, IEnumerable<HealthCheck> checks, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var registry = new HealthCheckRegistry();
        foreach (var check in checks)
        {
            registry.Add(check);
        }

        var health = new HealthEndpoints(registry, loggers.CreateLogger("Monokube.Health"));
        var kestrel = await KestrelHost.StartAsync(loggers, kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(address, port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
                {
                    ServerCertificate = certificate,
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                });
            });
        }, null, context => health.TryServe(context) ?? NotFoundAsync(context), cancellationToken);
        return new HealthServer(kestrel, new Uri(kestrel.Address));
    }

    public async ValueTask DisposeAsync()
    {
        await _kestrel.StopAsync(CancellationToken.None);
        await _kestrel.DisposeAsync();
    }

    private static Task NotFoundAsync(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync("404 page not found\n");
    }
}
