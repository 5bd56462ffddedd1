using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Hosting;
using Monokube.Controllers;
using Monokube.Storage;

namespace Monokube.Bootstrap.Start;

/// <summary>
/// monokube's temporary control plane during the pivot: the API server (on the cluster's address, sharing the port)
/// and the built-in controllers. It can be stopped — controllers first, releasing their Leases, then the listener —
/// and started again on the same address when a handover has to be rolled back.
/// </summary>
public sealed class BootstrapControlPlane(ApiServerOptions serverOptions, IObjectStore store, Func<ApiServer.Hosting.ApiServer, ControllerOptions> controllerOptions, ILoggerFactory loggers) : IAsyncDisposable
{
    private ApiServer.Hosting.ApiServer? _server;
    private EmbeddedControllers? _controllers;

    public bool Serving => _server is not null;

    public Uri? Url => _server?.Url;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_server is not null)
        {
            return;
        }

        _server = await ApiServer.Hosting.ApiServer.StartAsync(serverOptions, store, loggers, cancellationToken);
        _controllers = EmbeddedControllers.Start(_server, controllerOptions(_server), leaderElect: true, TimeProvider.System, loggers);
    }

    /// <summary>Stops the controllers (their Leases released) and closes the listener.</summary>
    public async Task StopAsync()
    {
        if (_controllers is not null)
        {
            await _controllers.DisposeAsync();
            _controllers = null;
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
            _server = null;
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
