using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Hosting;
using Monokube.ApiServer.Registry;
using Monokube.Storage;

namespace Monokube.ApiServer.Handlers;

/// <summary>What every handler works with: the registry, the store, the clock, the server's options and admission.</summary>
public sealed class ApiContext(ResourceRegistry registry, IObjectStore store, TimeProvider time, ApiServerOptions options, ILoggerFactory loggerFactory, Admission.AdmissionChain admission, CancellationToken stopping) : IAsyncDisposable
{
    public ResourceRegistry Registry { get; } = registry;

    public IObjectStore Store { get; } = store;

    public TimeProvider Time { get; } = time;

    public ApiServerOptions Options { get; } = options;

    public StrategyContext Strategy { get; } = new(time) { DefaultServiceAccount = options.AdmissionPlugins.Contains(Monokube.ApiServer.Admission.AdmissionPlugins.ServiceAccount), Release = options.Release };

    /// <summary>The admission plugins (RBAC escalation, NodeRestriction when on) every write passes.</summary>
    public Admission.AdmissionChain Admission { get; } = admission;

    public ILogger Logger { get; } = loggerFactory.CreateLogger("Monokube.Api");

    /// <summary>Cancelled when the server begins to stop: watches end then, as kube-apiserver closes them on shutdown.</summary>
    public CancellationToken Stopping { get; } = stopping;

    public Services.ClusterIpAllocator ClusterIps { get; } = new(store, options.ServiceClusterIpRange, time);

    /// <summary>The bound on concurrent watches per client.</summary>
    public WatchLimiter Watches { get; } = new(options.Watch.MaxPerClient);

    /// <summary>Each recent change decoded and encoded once for all watches.</summary>
    public WatchEventCache WatchEvents { get; } = new();

    /// <summary>The namespaces as NamespaceLifecycle admission reads them (from a cache, started on first use).</summary>
    public Admission.NamespaceLifecycle Namespaces { get; } = new(store, loggerFactory.CreateLogger("Monokube.Api.Namespaces"));

    /// <summary>Serializes node port allocation inside this server (ports are found by scanning Services).</summary>
    public SemaphoreSlim NodePortLock { get; } = new(1, 1);

    public ValueTask DisposeAsync() => Namespaces.DisposeAsync();
}
