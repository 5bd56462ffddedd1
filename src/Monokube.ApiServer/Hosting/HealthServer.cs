using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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
    private readonly WebApplication _app;

    private HealthServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>Where the server listens (the real port when 0 was asked for).</summary>
    public Uri Url { get; }

    /// <summary>Listens and serves; an address that cannot be bound throws an <see cref="IOException"/>.</summary>
    public static async Task<HealthServer> StartAsync(IPAddress address, int port, X509Certificate2 certificate, IEnumerable<HealthCheck> checks, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "monokube" });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
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
        });
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.Services.AddRoutingCore();
        var registry = new HealthCheckRegistry();
        foreach (var check in checks)
        {
            registry.Add(check);
        }

        builder.Services.AddSingleton(registry);
        var app = builder.Build();
        app.UseRouting();
        app.MapHealthEndpoints();
        app.MapFallback(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync("404 page not found\n");
        });
        try
        {
            await app.StartAsync(cancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var listening = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HealthServer(app, new Uri(listening));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
