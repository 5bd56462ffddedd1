using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Monokube.ApiServer.Hosting;

/// <summary>
/// Kestrel serving one request delegate, without ASP.NET Core's generic host, dependency injection of the
/// application or endpoint routing. In a native binary those cost most of a start: the container builds the closed
/// generic types of their options and loggers at run time through the type loader (about 10 ms of CPU per start by
/// `perf`), and routing builds its matcher on the first request. Kestrel's own services still come from a container,
/// as <c>UseKestrelCore</c> registers them, with the two options objects given closed so none is built at run time.
/// </summary>
public sealed class KestrelHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly IServer _server;

    private KestrelHost(ServiceProvider services, IServer server)
    {
        _services = services;
        _server = server;
    }

    /// <summary>What Kestrel listens on, as it reports it (the real port when 0 was asked for).</summary>
    public string Address => _server.Features.Get<IServerAddressesFeature>()!.Addresses.First();

    /// <summary>Listens as <paramref name="configure"/> says and serves <paramref name="app"/>.</summary>
    /// <param name="configure">Kestrel's options; its <c>ApplicationServices</c> are set before it is called, as HTTPS needs.</param>
    /// <param name="sockets">The socket transport's options, when they are not the defaults.</param>
    public static async Task<KestrelHost> StartAsync(ILoggerFactory loggers, Action<KestrelServerOptions> configure, Action<SocketTransportOptions>? sockets, RequestDelegate app, CancellationToken cancellationToken)
    {
        var kestrel = new KestrelServerOptions();
        var transport = new SocketTransportOptions();
        sockets?.Invoke(transport);

        var services = new ServiceCollection();
        services.AddSingleton(loggers);
        services.AddSingleton<DiagnosticSource>(new DiagnosticListener("Microsoft.AspNetCore"));
        services.AddSingleton<IMeterFactory, Meters>();
        services.AddSingleton(Options.Create(kestrel));
        services.AddSingleton(Options.Create(transport));
        new ServiceRegistration(services).UseKestrelCore();
        var provider = services.BuildServiceProvider();
        try
        {
            kestrel.ApplicationServices = provider;
            configure(kestrel);
            var server = provider.GetRequiredService<IServer>();
            await server.StartAsync(new Application(app), cancellationToken);
            return new KestrelHost(provider, server);
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops accepting, and waits for the requests in flight until <paramref name="cancellationToken"/> ends them.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _server.StopAsync(cancellationToken);

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private sealed class Application(RequestDelegate app) : IHttpApplication<HttpContext>
    {
        public HttpContext CreateContext(IFeatureCollection contextFeatures) => new DefaultHttpContext(contextFeatures);

        public Task ProcessRequestAsync(HttpContext context) => app(context);

        public void DisposeContext(HttpContext context, Exception? exception)
        {
        }
    }

    // What UseKestrelCore needs of a web host builder: its services, added to this collection at once.
    private sealed class ServiceRegistration(IServiceCollection services) : IWebHostBuilder
    {
        public IWebHostBuilder ConfigureServices(Action<IServiceCollection> configureServices)
        {
            configureServices(services);
            return this;
        }

        public IWebHostBuilder ConfigureServices(Action<WebHostBuilderContext, IServiceCollection> configureServices) =>
            throw new NotSupportedException("Kestrel's services are registered without a web host context");

        public IWebHostBuilder ConfigureAppConfiguration(Action<WebHostBuilderContext, Microsoft.Extensions.Configuration.IConfigurationBuilder> configureDelegate) =>
            throw new NotSupportedException("Kestrel is configured in code, without app configuration");

        // The interface still names the obsolete IWebHost; nothing here builds one.
#pragma warning disable ASPDEPR008
        public IWebHost Build() => throw new NotSupportedException("there is no web host to build");
#pragma warning restore ASPDEPR008

        public string? GetSetting(string key) => null;

        public IWebHostBuilder UseSetting(string key, string? value) => this;
    }

    // Kestrel's meters, which nothing in monokube listens to; disposed with the server.
    private sealed class Meters : IMeterFactory
    {
        private readonly List<Meter> _created = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, this);
            lock (_created)
            {
                _created.Add(meter);
            }

            return meter;
        }

        public void Dispose()
        {
            lock (_created)
            {
                _created.ForEach(m => m.Dispose());
                _created.Clear();
            }
        }
    }
}
