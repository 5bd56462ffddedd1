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
    private readonly KestrelHost _kestrel;
    private readonly ApiContext _api;
    private readonly SecurityContext _security;
    private readonly Kubelet.KubeletClient _kubelet;
    private readonly CancellationTokenSource _stopping;
    private readonly TimeSpan _shutdownTimeout;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _stopGate = new();
    private readonly CustomResources.CustomResourceServer _customResources;
    private Task? _stop;

    private ApiServer(KestrelHost kestrel, ApiContext api, Kubelet.KubeletClient kubelet, CancellationTokenSource stopping, TimeSpan shutdownTimeout, Uri url, SecurityContext security, CustomResources.CustomResourceServer customResources, Task systemObjectsReady)
    {
        _kestrel = kestrel;
        _api = api;
        _kubelet = kubelet;
        _stopping = stopping;
        _shutdownTimeout = shutdownTimeout;
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
        var registry = ResourceRegistry.CreateBuiltin(options.Release);
        var security = SecurityContext.Create(options, store, registry, TimeProvider.System, loggers);
        var stoppingSource = new CancellationTokenSource();
        var stopping = stoppingSource.Token;

        // Made now, so a kubelet client certificate that cannot be loaded stops the start.
        var kubelet = new Kubelet.KubeletClient(options.Kubelet);
        var api = new ApiContext(registry, store, TimeProvider.System, options, loggers, security.Admission, stopping);
        var discovery = new DiscoveryHandler(registry);
        var dispatcher = new ApiDispatcher(api, discovery, new ResourceHandler(api, new ReviewHandler(api, security), kubelet));
        var healthChecks = CreateHealthChecks(store);
        healthChecks.Add(new HealthCheck(
            "shutdown", _ => ValueTask.FromResult(stopping.IsCancellationRequested ? "the server is shutting down" : null), ReadinessOnly: true));
        var routes = new ApiRoutes(dispatcher, new HealthEndpoints(healthChecks, loggers.CreateLogger("Monokube.Health")), new OpenApi.OpenApiHandler(registry), security, options, loggers.CreateLogger("Monokube.Api"));
        RequestDelegate app = routes.HandleAsync;
        if (security.Pki is not null)
        {
            var middleware = new SecurityMiddleware(security.Authenticator, security.Authorizer, loggers.CreateLogger<SecurityMiddleware>());
            app = context => middleware.InvokeAsync(context, routes.HandleAsync);
        }

        KestrelHost kestrel;
        try
        {
            kestrel = await KestrelHost.StartAsync(loggers, kestrelOptions => ConfigureKestrel(kestrelOptions, options, security), options.PermitPortSharing ? sockets => sockets.CreateBoundListenSocket = PortSharing.BindShared : null, app, cancellationToken);
        }
        catch
        {
            await api.DisposeAsync();
            kubelet.Dispose();
            await security.DisposeAsync();
            stoppingSource.Dispose();
            throw;
        }

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
                    await BootstrapPolicyWriter.EnsureAsync(store, registry, options.Release, TimeProvider.System, stopping);
                    await SystemPriorityClasses.EnsureAsync(store, registry, TimeProvider.System, stopping);
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
        healthChecks.Add(new HealthCheck(
            "poststarthook/start-system-namespaces-controller",
            _ => ValueTask.FromResult(namespacesReady.Task.IsCompleted ? null : "the system namespaces are not created yet"),
            ReadinessOnly: true));
        await Task.WhenAny(namespacesReady.Task, Task.Delay(TimeSpan.FromSeconds(2), cancellationToken));
        var port = new Uri(kestrel.Address.Replace("[::]", "localhost", StringComparison.Ordinal).Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port;
        var generatedCa = security.Pki?.GeneratedCa?.Certificate.ExportCertificatePem() + "\n";
        var publisher = new ClusterInfoPublisher(api, security.Pki is null ? null : ClusterInfoPublisher.AuthenticationData(options.Security, generatedCa), options.PublishIdentityLease);
        StartKubernetesService(api, options, port, publisher, namespacesReady.Task, stopping);
        var host = options.BindAddress.Equals(System.Net.IPAddress.Any) ? "127.0.0.1" : options.BindAddress.ToString();
        var scheme = options.InsecureHttp ? "http" : "https";
        return new ApiServer(kestrel, api, kubelet, stoppingSource, options.ShutdownTimeout, new Uri($"{scheme}://{(host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host)}:{port}"), security, customResources, namespacesReady.Task);
    }

    // The kubernetes Service and its endpoints, and what the server publishes about itself, once the system
    // namespaces exist; checked again every 10 s (kube's --endpoint-reconciler interval) so a deleted one comes back.
    private static void StartKubernetesService(ApiContext api, ApiServerOptions options, int port, ClusterInfoPublisher publisher, Task namespacesReady, CancellationToken stopping) =>
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
                        await publisher.PublishAsync(stopping);
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

    /// <summary>Completes when the server has stopped (after <see cref="StopAsync"/> or <see cref="DisposeAsync"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _stopped.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Stops: watches and the server's own loops end at once, then Kestrel stops accepting and gives the requests in
    /// flight the shutdown timeout (less when <paramref name="cancellationToken"/> ends sooner). Once only; later calls
    /// wait for the first.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_stopGate)
        {
            return _stop ??= StopOnceAsync(cancellationToken);
        }
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _stopping.CancelAsync();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_shutdownTimeout);
            await _kestrel.StopAsync(timeout.Token);
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _customResources.DisposeAsync();
        await _kestrel.DisposeAsync();
        await _api.DisposeAsync();
        _kubelet.Dispose();
        await _security.DisposeAsync();
        _stopping.Dispose();
    }

    private static void ConfigureKestrel(KestrelServerOptions kestrel, ApiServerOptions options, SecurityContext security)
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

            // HTTPS only on the secure port; a client certificate is optional and any is taken in the handshake, as
            // kube-apiserver's RequestClientCert: authentication verifies it, so a bad one is a 401, and a request
            // that also carries a valid bearer token is that token's user.
            listen.Protocols = HttpProtocols.Http1AndHttp2;
            listen.Use(PlainHttpRejection.Middleware);
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = pki.ServingCertificate,
                SslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                ClientCertificateMode = ClientCertificateMode.AllowCertificate,
                ClientCertificateValidation = (_, _, _) => true,
                CheckCertificateRevocation = false,
            });
        });
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
