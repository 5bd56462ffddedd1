using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Monokube.ApiServer.Api;
using Monokube.ApiServer.Discovery;
using Monokube.ApiServer.Handlers;
using Monokube.ApiServer.Registry;
using Monokube.ApiServer.Health;
using Monokube.ApiServer.Security;
using Monokube.ApiServer.Security.Authentication;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Monokube.Storage;

namespace Monokube.ApiServer.Hosting;

/// <summary>A running API server: Kestrel, the endpoints, and the store behind them.</summary>
public sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SecurityContext _security;

    private readonly CustomResources.CustomResourceServer _customResources;

    private ApiServer(WebApplication app, Uri url, SecurityContext security, CustomResources.CustomResourceServer customResources, Task systemObjectsReady)
    {
        _app = app;
        _customResources = customResources;
        Url = url;
        _security = security;
        SystemObjectsReady = systemObjectsReady;
    }

    /// <summary>
    /// Completes once the system namespaces and the default RBAC exist. <see cref="StartAsync"/> waits for them at
    /// most 2 s, so that a server whose store is not reachable yet still listens (and reports not ready).
    /// </summary>
    public Task SystemObjectsReady { get; }

    /// <summary>The address clients reach the server at (the real port when 0 was asked for).</summary>
    public Uri Url { get; }

    public IServiceProvider Services => _app.Services;

    public SecurityContext Security => _security;

    /// <summary>Writes a kubeconfig for this server: an admin client certificate (O=system:masters) over HTTPS.</summary>
    public async Task WriteAdminKubeconfigAsync(string path, CancellationToken cancellationToken)
    {
        if (_security.Pki is null)
        {
            await Kubeconfig.WriteInsecureAsync(path, Url, cancellationToken);
            return;
        }

        var ca = _security.Pki.GeneratedCa ?? throw new InvalidOperationException(
            "an admin kubeconfig needs the CA monokube generates; --write-kubeconfig cannot be used with --tls-cert-file");
        using var client = ca.IssueClient("kubernetes-admin", [UserInfo.Masters], TimeSpan.FromDays(365), DateTimeOffset.UtcNow);
        var key = client.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem();
        await Kubeconfig.WriteWithCertificateAsync(path, Url, ca.Certificate.ExportCertificatePem() + "\n", client.ExportCertificatePem() + "\n", key + "\n", "kubernetes-admin", cancellationToken);
    }

    /// <summary>
    /// Starts serving; returns once it listens and the system namespaces exist (or 2 s passed). Everything it logs,
    /// ASP.NET Core's own logs included, goes to <paramref name="loggers"/> (nowhere when null).
    /// </summary>
    public static async Task<ApiServer> StartAsync(ApiServerOptions options, IObjectStore store, ILoggerFactory? loggers = null, CancellationToken cancellationToken = default)
    {
        options.Validate();
        loggers ??= NullLoggerFactory.Instance;
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "monokube" });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggers);
        var registry = ResourceRegistry.CreateBuiltin();
        var security = SecurityContext.Create(options, store, registry, TimeProvider.System, loggers);

        // Made now, so a kubelet client certificate that cannot be loaded stops the start; disposed with the services.
        var kubelet = new Kubelet.KubeletClient(options.Kubelet);
        builder.WebHost.UseKestrelCore().ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;

            // The API reads bodies itself and answers an oversized one with a 413 Status (RequestBody). Headers and
            // the request line may take 1 MiB, as kube-apiserver's MaxHeaderBytes; more gets 431.
            kestrel.Limits.MaxRequestBodySize = null;
            kestrel.Limits.MaxRequestHeadersTotalSize = 1024 * 1024;
            kestrel.Limits.MaxRequestLineSize = 1024 * 1024;
            kestrel.Limits.Http2.MaxStreamsPerConnection = 250;
            kestrel.Limits.Http2.MaxRequestHeaderFieldSize = 1024 * 1024;
            kestrel.Listen(options.BindAddress, options.Port, listen =>
            {
                if (security.Pki is not { } pki)
                {
                    listen.Protocols = HttpProtocols.Http1;
                    return;
                }

                // HTTPS only on the secure port; a client certificate is optional, but one that chains to neither the
                // client CA nor the request-header CA fails the handshake, as in kube-apiserver (VerifyClientCertIfGiven).
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.Use(PlainHttpRejection.Middleware);
                listen.UseHttps(new HttpsConnectionAdapterOptions
                {
                    ServerCertificate = pki.ServingCertificate,
                    SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                    ClientCertificateValidation = (certificate, _, _) => pki.ClientTrust.Accepts(certificate),
                    CheckCertificateRevocation = false,
                });
            });
        });
        builder.WebHost.UseShutdownTimeout(options.ShutdownTimeout);
        if (options.PermitPortSharing)
        {
            builder.WebHost.UseSockets(sockets => sockets.CreateBoundListenSocket = PortSharing.BindShared);
        }

        // The process's signals belong to whoever embeds the server (monokube serve stops its controllers before the
        // server; a test host stops it with StopAsync), not to the generic host's console lifetime.
        builder.Services.AddSingleton<IHostLifetime, EmbeddedLifetime>();
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(CreateHealthChecks(store));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(registry);
        builder.Services.AddSingleton<ApiContext>();
        builder.Services.AddSingleton<DiscoveryHandler>();
        builder.Services.AddSingleton<ReviewHandler>();
        builder.Services.AddSingleton(_ => kubelet);
        builder.Services.AddSingleton<ResourceHandler>();
        builder.Services.AddSingleton<ApiDispatcher>();
        builder.Services.AddSingleton<OpenApi.OpenApiHandler>();
        builder.Services.AddSingleton(security);
        builder.Services.AddSingleton(security.Authenticator);
        builder.Services.AddSingleton(security.Authorizer);
        builder.Services.AddSingleton<SecurityMiddleware>();
        builder.Services.AddSingleton(security.Admission);

        var app = builder.Build();
        if (security.Pki is not null)
        {
            var middleware = app.Services.GetRequiredService<SecurityMiddleware>();
            app.Use(next => context => middleware.InvokeAsync(context, next));
        }

        app.UseRouting();
        app.MapHealthEndpoints();
        app.MapGet("/version", context => context.Response.WriteAsJsonAsync(KubernetesVersion.Info, ApiJsonContext.Relaxed.VersionInfo));

        var dispatcher = app.Services.GetRequiredService<ApiDispatcher>();
        foreach (var pattern in new[] { "/api", "/api/{**rest}", "/apis", "/apis/{**rest}" })
        {
            app.Map(pattern, dispatcher.HandleAsync);
        }

        // Service-account issuer discovery (OIDC), for relying parties that verify service-account tokens.
        app.MapGet("/.well-known/openid-configuration", context => IssuerDiscovery.ConfigurationAsync(context, security.Tokens, options));
        app.MapGet("/openid/v1/jwks", context => IssuerDiscovery.KeysAsync(context, security.Tokens));

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

        // Custom resources are served as soon as their definitions are seen.
        var customResources = new CustomResources.CustomResourceServer(store, registry, TimeProvider.System, loggers.CreateLogger("Monokube.CustomResources"));
        customResources.Start();

        // As kube-apiserver's system-namespaces post-start hook: ready once default, kube-system, kube-public and
        // kube-node-lease exist; retried in the background while the store is unreachable.
        var namespacesReady = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            while (!stopping.IsCancellationRequested)
            {
                try
                {
                    await SystemNamespaces.EnsureAsync(store, registry, TimeProvider.System, stopping);
                    await BootstrapPolicyWriter.EnsureAsync(store, registry, TimeProvider.System, stopping);
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
        StartKubernetesService(app.Services.GetRequiredService<ApiContext>(), options, port, namespacesReady.Task, stopping);
        var host = options.BindAddress.Equals(System.Net.IPAddress.Any) ? "127.0.0.1" : options.BindAddress.ToString();
        var scheme = options.InsecureHttp ? "http" : "https";
        return new ApiServer(app, new Uri($"{scheme}://{(host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host)}:{port}"), security, customResources, namespacesReady.Task);
    }

    // The kubernetes Service and its endpoints once the default namespace exists, checked again every 10 s (kube's
    // --endpoint-reconciler interval) so a deleted one comes back.
    private static void StartKubernetesService(ApiContext api, ApiServerOptions options, int port, Task namespacesReady, CancellationToken stopping) =>
        _ = Task.Run(async () =>
        {
            try
            {
                // Choosing the address may enumerate the host's interfaces: not on the start-up path.
                var endpoint = KubernetesService.EndpointAddress(options.Security.AdvertiseAddress, options.BindAddress);
                await namespacesReady.WaitAsync(stopping);
                while (!stopping.IsCancellationRequested)
                {
                    try
                    {
                        await KubernetesService.EnsureAsync(api, endpoint, port, stopping);
                    }
                    catch (StoreUnavailableException)
                    {
                    }

                    await Task.Delay(TimeSpan.FromSeconds(10), api.Time, stopping);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);

    /// <summary>Completes when the server has stopped (after <see cref="StopAsync"/> or a host shutdown).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _customResources.DisposeAsync();
        await _app.DisposeAsync();
        await _security.DisposeAsync();
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
