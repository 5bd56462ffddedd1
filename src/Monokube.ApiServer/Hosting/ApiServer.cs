using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Discovery;
using Monokube.ApiServer.Handlers;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Health;
using Monokube.Storage;

namespace Monokube.ApiServer.Hosting;

/// <summary>A running API server: Kestrel, the endpoints, and the store behind them.</summary>
public sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ApiServer(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    /// <summary>The address clients reach the server at (the real port when 0 was asked for).</summary>
    public Uri Url { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<ApiServer> StartAsync(ApiServerOptions options, IObjectStore store, Action<ILoggingBuilder>? configureLogging = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "monokube" });
        builder.Logging.ClearProviders();
        configureLogging?.Invoke(builder.Logging);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // The API reads bodies itself and answers an oversized one with a 413 Status (RequestBody).
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Listen(options.BindAddress, options.Port, listen => listen.Protocols = HttpProtocols.Http1);
        });
        builder.WebHost.UseShutdownTimeout(options.ShutdownTimeout);
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(CreateHealthChecks(store));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(ResourceRegistry.CreateBuiltin());
        builder.Services.AddSingleton<ApiContext>();
        builder.Services.AddSingleton<DiscoveryHandler>();
        builder.Services.AddSingleton<ResourceHandler>();
        builder.Services.AddSingleton<ApiDispatcher>();
        builder.Services.AddSingleton<OpenApi.OpenApiHandler>();

        var app = builder.Build();
        app.UseRouting();
        app.MapHealthEndpoints();
        app.MapGet("/version", context => context.Response.WriteAsJsonAsync(KubernetesVersion.Info, ApiJsonContext.Relaxed.VersionInfo));

        var dispatcher = app.Services.GetRequiredService<ApiDispatcher>();
        foreach (var pattern in new[] { "/api", "/api/{**rest}", "/apis", "/apis/{**rest}" })
        {
            app.Map(pattern, dispatcher.HandleAsync);
        }

        var openApi = app.Services.GetRequiredService<OpenApi.OpenApiHandler>();
        app.MapGet("/openapi/v3", context => Guard(context, openApi.IndexAsync));
        app.MapGet("/openapi/v3/{**path}", context => Guard(context, openApi.GroupVersionAsync));
        app.MapGet("/openapi/v2", context => Guard(context, openApi.V2Async));

        // Anything not served is a Kubernetes Status, as kube-apiserver answers unknown paths, never an empty 404.
        app.MapFallback(context => StatusWriter.WriteAsync(context, Status.NotFoundPath()));

        var stopping = app.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        app.Services.GetRequiredService<HealthCheckRegistry>().Add(new HealthCheck(
            "shutdown", _ => ValueTask.FromResult(stopping.IsCancellationRequested ? "the server is shutting down" : null), ReadinessOnly: true));

        await app.StartAsync(cancellationToken);

        // As kube-apiserver's system-namespaces post-start hook: ready once default, kube-system, kube-public and
        // kube-node-lease exist; retried in the background while the store is unreachable.
        var namespacesReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var registry = app.Services.GetRequiredService<ResourceRegistry>();
        _ = Task.Run(async () =>
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    await SystemNamespaces.EnsureAsync(store, registry, TimeProvider.System, stopping);
                    namespacesReady.TrySetResult();
                    return;
                }
                catch (StoreUnavailableException)
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stopping).ContinueWith(_ => { }, TaskScheduler.Default);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }, CancellationToken.None);
        app.Services.GetRequiredService<HealthCheckRegistry>().Add(new HealthCheck(
            "poststarthook/start-system-namespaces-controller",
            _ => ValueTask.FromResult(namespacesReady.Task.IsCompleted ? null : "the system namespaces are not created yet"),
            ReadinessOnly: true));
        await Task.WhenAny(namespacesReady.Task, Task.Delay(TimeSpan.FromSeconds(2), cancellationToken));
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port;
        var host = options.BindAddress.Equals(System.Net.IPAddress.Any) ? "127.0.0.1" : options.BindAddress.ToString();
        var scheme = options.InsecureHttp ? "http" : "https";
        return new ApiServer(app, new Uri($"{scheme}://{(host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host)}:{port}"));
    }

    /// <summary>Completes when the server has stopped (after <see cref="StopAsync"/> or a host shutdown).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    // Handlers outside the API dispatcher still answer every failure with a Status.
    private static async Task Guard(HttpContext context, Func<HttpContext, Task> handler)
    {
        try
        {
            await handler(context);
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await StatusWriter.WriteAsync(context, e.Status);
        }
        catch (NotSupportedException e) when (!context.Response.HasStarted)
        {
            await StatusWriter.WriteAsync(context, Statuses.NotAcceptable(e.Message));
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Monokube.Api").LogError(e, "{Path} failed", context.Request.Path);
            await StatusWriter.WriteAsync(context, Statuses.InternalError("the server could not handle the request; see its log"));
        }
    }

    private static HealthCheckRegistry CreateHealthChecks(IObjectStore store)
    {
        var registry = new HealthCheckRegistry();
        registry.Add(new HealthCheck("log", _ => ValueTask.FromResult<string?>(null)));
        if (store.Name == "etcd")
        {
            registry.Add(new HealthCheck("etcd", async cancellationToken =>
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(2));
                try
                {
                    await store.CheckHealthAsync(timeout.Token);
                    return null;
                }
                catch (Exception e) when (e is StoreUnavailableException or OperationCanceledException)
                {
                    return e.Message;
                }
            }));
        }

        return registry;
    }
}
