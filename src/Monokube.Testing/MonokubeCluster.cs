using System.Net;
using System.Text;
using k8s;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Monokube.ApiServer.Hosting;
using Monokube.Controllers;
using Monokube.Controllers.Client;
using Monokube.Node;
using Monokube.Storage;
using Monokube.Storage.Etcd;
using Monokube.Storage.Memory;

namespace Monokube.Testing;

/// <summary>
/// A Kubernetes API in this process for a test: monokube's API server on a free loopback port, its store (memory, or
/// a prefix of an etcd), by default its controllers and scheduler, and any number of simulated nodes. Gives the
/// kubeconfig (as text and as a file), the official C# client, and helpers to apply YAML and wait for objects.
/// Clusters share nothing but the process's certificates: start one per test, or one per class with a fixture.
/// </summary>
public sealed partial class MonokubeCluster : IAsyncDisposable
{
    private const string ApiExtensionsV1 = "apiextensions.k8s.io/v1";

    private readonly MonokubeClusterOptions _options;
    private readonly IObjectStore _store;
    private readonly bool _ownsEtcdPrefix;
    private readonly ApiServer.Hosting.ApiServer _server;
    private readonly ILoggerFactory _loggers;
    private readonly KubeClient _api;
    private readonly ResourceResolver _resources;
    private readonly Lazy<Kubernetes> _client;
    private readonly List<SimulatedNode> _nodes = [];
    private readonly Lock _fileLock = new();
    private EmbeddedControllers? _controllers;
    private string? _directory;
    private int _disposed;

    private MonokubeCluster(MonokubeClusterOptions options, IObjectStore store, string? etcdPrefix, bool ownsEtcdPrefix, ApiServer.Hosting.ApiServer server, string kubeconfig, ILoggerFactory loggers)
    {
        _options = options;
        _store = store;
        EtcdPrefix = etcdPrefix;
        _ownsEtcdPrefix = ownsEtcdPrefix;
        _server = server;
        _loggers = loggers;
        Kubeconfig = kubeconfig;
        _api = new KubeClient(new KubeClientOptions
        {
            Server = server.Url,
            PinnedServerCertificate = server.Security.Pki?.ServingCertificate,
            BearerToken = server.Security.Pki is null ? null : server.Security.LoopbackToken,
            UserAgent = "monokube-testing",
        });
        _resources = new ResourceResolver(_api);
        _client = new Lazy<Kubernetes>(() =>
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(Kubeconfig));
            return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(stream));
        });
    }

    /// <summary>The API's address: <c>https://127.0.0.1:&lt;port&gt;</c> (<c>http://</c> without <see cref="MonokubeClusterOptions.Https"/>).</summary>
    public Uri ServerUri => _server.Url;

    /// <summary>An admin kubeconfig for this cluster, as YAML (the CA and client certificate are inline).</summary>
    public string Kubeconfig { get; }

    /// <summary>
    /// The kubeconfig as a file, for kubectl and other processes: written on first use into a directory of this
    /// cluster's (readable by you only) and deleted with the cluster. Give kubectl that directory as $HOME too if
    /// clusters come and go on reused ports, so its discovery cache is never another cluster's.
    /// </summary>
    public string KubeconfigPath
    {
        get
        {
            lock (_fileLock)
            {
                ObjectDisposedException.ThrowIf(_disposed != 0, this);
                var path = Path.Combine(FilesDirectory, "kubeconfig");
                if (!File.Exists(path))
                {
                    File.WriteAllText(path, Kubeconfig);
                    if (!OperatingSystem.IsWindows())
                    {
                        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                    }
                }

                return path;
            }
        }
    }

    /// <summary>The official C# client (KubernetesClient), built from <see cref="Kubeconfig"/> on first use and disposed with the cluster.</summary>
    public IKubernetes Client => _client.Value;

    /// <summary>The names of the simulated nodes (<c>node-0</c> ...), registered and Ready.</summary>
    public IReadOnlyList<string> NodeNames => [.. _nodes.Select(n => n.Name)];

    /// <summary>The etcd key prefix of this cluster's objects, or null for the memory store.</summary>
    public string? EtcdPrefix { get; }

    /// <summary>The options the cluster was started with.</summary>
    public MonokubeClusterOptions Options => _options;

    /// <summary>
    /// Starts a cluster and returns once it serves: the system namespaces and default RBAC exist, and the simulated
    /// nodes are registered and Ready. Controllers start in the background and catch up with whatever a test creates.
    /// </summary>
    public static async Task<MonokubeCluster> StartAsync(MonokubeClusterOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new MonokubeClusterOptions();
        options.Validate();
        var loggers = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var certificates = options.Https ? SharedCertificates.Get() : null;
        var etcdPrefix = options.Store.IsEtcd ? options.Store.EtcdPrefix ?? "/monokube-testing/" + Guid.NewGuid().ToString("N") : null;
        IObjectStore store = options.Store.IsEtcd
            ? new EtcdObjectStore(new EtcdOptions { Endpoints = options.Store.EtcdEndpoints!, Prefix = etcdPrefix! }, loggers)
            : new MemoryObjectStore();

        ApiServer.Hosting.ApiServer server;
        try
        {
            server = await ApiServer.Hosting.ApiServer.StartAsync(
                new ApiServerOptions
                {
                    BindAddress = IPAddress.Loopback,
                    Port = 0,
                    InsecureHttp = certificates is null,
                    Security = certificates?.SecurityOptions ?? new(),
                    ShutdownTimeout = TimeSpan.FromSeconds(2),
                },
                store,
                options.LoggerFactory,
                cancellationToken);
        }
        catch
        {
            await store.DisposeAsync();
            throw;
        }

        try
        {
            // Under load (fifty clusters starting at once on two cores) the system namespaces can take longer than
            // the 2 s the server itself waits for them, and a test's first create in "default" must not be refused.
            await server.SystemObjectsReady.WaitAsync(options.DefaultTimeout, cancellationToken);
        }
        catch (Exception e)
        {
            await server.DisposeAsync();
            await store.DisposeAsync();
            if (e is TimeoutException)
            {
                throw new TimeoutException($"the system namespaces and default RBAC were not written within {options.DefaultTimeout.TotalSeconds:0.#} s (is the store reachable?)", e);
            }

            throw;
        }

        var kubeconfig = certificates is null
            ? ApiServer.Hosting.Kubeconfig.Insecure(server.Url)
            : ApiServer.Hosting.Kubeconfig.WithCertificate(server.Url, certificates.CaPem, certificates.AdminCertPem, certificates.AdminKeyPem, "kubernetes-admin");
        var cluster = new MonokubeCluster(options, store, etcdPrefix, options.Store.EtcdPrefix is null, server, kubeconfig, loggers);
        try
        {
            if (options.Controllers)
            {
                // No leader election: nothing else acts on a test cluster, and the controllers start at once.
                cluster._controllers = EmbeddedControllers.Start(server, new ControllerOptions
                {
                    SigningCertificate = server.Security.Pki?.GeneratedCa?.Certificate,
                    RootCaPem = certificates?.CaPem,
                }, leaderElect: false, TimeProvider.System, loggers);
            }

            await cluster.StartNodesAsync(options.Nodes, cancellationToken);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }

        return cluster;
    }

    /// <summary>Writes <see cref="Kubeconfig"/> to a file of your choosing (readable by you only).</summary>
    public Task WriteKubeconfigAsync(string path, CancellationToken cancellationToken = default) =>
        ApiServer.Hosting.Kubeconfig.WriteAsync(path, Kubeconfig, cancellationToken);

    /// <summary>Stops the nodes, the controllers and the server, removes the cluster's files (and its etcd keys when it chose the prefix).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            foreach (var node in _nodes)
            {
                await node.DisposeAsync();
            }

            if (_controllers is not null)
            {
                await _controllers.DisposeAsync();
            }
        }
        finally
        {
            if (_client.IsValueCreated)
            {
                _client.Value.Dispose();
            }

            _api.Dispose();
            await _server.DisposeAsync();
            if (_ownsEtcdPrefix && EtcdPrefix is not null)
            {
                await DeleteEtcdKeysAsync();
            }

            await _store.DisposeAsync();
            DeleteFiles();
        }
    }

    // The cluster's own directory (for the kubeconfig file), made on first use; callers hold _fileLock.
    private string FilesDirectory
    {
        get
        {
            if (_directory is null)
            {
                var path = Path.Combine(Path.GetTempPath(), "monokube-cluster-" + Guid.NewGuid().ToString("N")[..12]);
                Directory.CreateDirectory(path);
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }

                _directory = path;
            }

            return _directory;
        }
    }

    private void DeleteFiles()
    {
        lock (_fileLock)
        {
            if (_directory is not null)
            {
                try
                {
                    Directory.Delete(_directory, recursive: true);
                }
                catch (DirectoryNotFoundException)
                {
                }
            }
        }
    }

    private async Task StartNodesAsync(int count, CancellationToken cancellationToken)
    {
        if (count == 0)
        {
            return;
        }

        var options = new NodeAgentOptions { Kubeconfig = "", NodeName = "node", Count = count };
        var logger = _loggers.CreateLogger("Monokube.Node");
        for (var i = 0; i < count; i++)
        {
            _nodes.Add(new SimulatedNode(_api, options, $"node-{i}", i, TimeProvider.System, logger));
        }

        await Task.WhenAll(_nodes.Select(n => n.StartAsync(cancellationToken)));
    }

    // A prefix the cluster made up is nobody else's: leave the shared etcd as it was found.
    private async Task DeleteEtcdKeysAsync()
    {
        try
        {
            var keys = await _store.ListAsync(new ListRequest("/"));
            foreach (var item in keys.Items)
            {
                await _store.DeleteAsync(item.Key, Preconditions.None);
            }
        }
        catch (StoreUnavailableException)
        {
        }
    }
}
