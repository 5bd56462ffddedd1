using System.Net;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Monokube.ApiServer.Hosting;
using Monokube.Controllers;
using Monokube.Storage;
using Monokube.Storage.Etcd;
using Monokube.Storage.Memory;
using Monokube.TestSupport;

namespace Monokube.ApiServer.Tests;

/// <summary>
/// A real monokube API server on 127.0.0.1 and a free port, in process, with a kubeconfig for kubectl and the
/// official C# client. One per test class; tests isolate themselves in namespaces of their own.
/// </summary>
public abstract class ApiServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private Hosting.ApiServer? _server;
    private MonokubeProcess? _process;
    private EmbeddedControllers? _controllers;
    private Uri? _url;

    // Only the garbage collector (kubectl delete --cascade waits for it) and the serviceaccount controller (pods need
    // their namespace's default ServiceAccount, as with kube) run beside the API; no other controller touches what the
    // API tests create.
    private const string GarbageCollector = "garbage-collector-controller";
    private const string ServiceAccounts = "serviceaccount-controller";

    /// <summary>The store behind the server (in process), or a client of the same etcd (native binary).</summary>
    public IObjectStore Store { get; private set; } = null!;

    /// <summary>Whether <see cref="Store"/> is the server's own (not so for the memory store of a server process).</summary>
    public bool SharesStore => _server is not null || this is EtcdApiServerFixture;

    public string Url => _url!.ToString().TrimEnd('/');

    public string Kubeconfig => _dir.File("kubeconfig");

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(30) };

    public IKubernetes Client { get; private set; } = null!;

    /// <summary>
    /// Starts the server in process, or — when $MONOKUBE_BIN names the published native binary (CI) — as that
    /// binary, so the same kubectl scenarios run against the Native AOT build.
    /// </summary>
    public virtual async ValueTask InitializeAsync()
    {
        Store = await CreateStoreAsync();
        if (!InProcessOnly && Environment.GetEnvironmentVariable("MONOKUBE_BIN") is { Length: > 0 })
        {
            _process = await MonokubeProcess.ServeAsync(["--insecure-http", "--secure-port=0", "--controllers=" + GarbageCollector + "," + ServiceAccounts, .. ServeFlags()]);
            _url = new Uri(_process.Url);
        }
        else
        {
            _server = await Hosting.ApiServer.StartAsync(new ApiServerOptions { BindAddress = IPAddress.Loopback, Port = 0, InsecureHttp = true }, Store);
            _controllers = EmbeddedControllers.Start(_server, new ControllerOptions { Enabled = [GarbageCollector, ServiceAccounts] }, leaderElect: false, TimeProvider.System, NullLoggerFactory.Instance);
            _url = _server.Url;
        }

        await Hosting.Kubeconfig.WriteInsecureAsync(Kubeconfig, _url, CancellationToken.None);
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(Kubeconfig));
        Http.BaseAddress = _url;
    }

    /// <summary>Whether the server runs in process even when $MONOKUBE_BIN is set (its tests reach into its store).</summary>
    protected virtual bool InProcessOnly => false;

    /// <summary>The serve flags that select this fixture's store when the server runs as a process.</summary>
    protected virtual IEnumerable<string> ServeFlags() => [];

    public virtual async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        Http.Dispose();
        if (_controllers is not null)
        {
            await _controllers.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_process is not null)
        {
            await _process.TerminateAsync();
            await _process.DisposeAsync();
        }

        await Store.DisposeAsync();
        _dir.Dispose();
    }

    /// <summary>Runs kubectl 1.<paramref name="minor"/> (or the one on PATH) against this server.</summary>
    public Task<(int ExitCode, string Stdout, string Stderr)> KubectlAsync(int? minor, params string[] args) =>
        Kubectl.RunAsync(TestSupport.Kubectl.Find(minor), Kubeconfig, args);

    /// <summary>Runs kubectl and fails the test with its output if it does not exit 0.</summary>
    public async Task<string> KubectlOkAsync(int? minor, params string[] args)
    {
        var (code, stdout, stderr) = await KubectlAsync(minor, args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}:\n{stderr}\n{stdout}");
        return stdout;
    }

    public string NewNamespace() => "t-" + Guid.NewGuid().ToString("N")[..10];

    protected abstract Task<IObjectStore> CreateStoreAsync();
}

public sealed class MemoryApiServerFixture : ApiServerFixture
{
    protected override Task<IObjectStore> CreateStoreAsync() => Task.FromResult<IObjectStore>(new MemoryObjectStore());
}

/// <summary>A memory-store server always in process, for tests that act on its store directly (compaction).</summary>
public sealed class InProcessMemoryApiServerFixture : ApiServerFixture
{
    protected override bool InProcessOnly => true;

    protected override Task<IObjectStore> CreateStoreAsync() => Task.FromResult<IObjectStore>(new MemoryObjectStore());
}

public sealed class EtcdApiServerFixture : ApiServerFixture
{
    private EtcdProcess? _etcd;

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
    }

    protected override async Task<IObjectStore> CreateStoreAsync()
    {
        _etcd = await EtcdProcess.StartAsync();
        return new EtcdObjectStore(new EtcdOptions { Endpoints = [new Uri(_etcd.ClientUrl)] });
    }

    protected override IEnumerable<string> ServeFlags() => ["--etcd-servers", _etcd!.ClientUrl];
}
