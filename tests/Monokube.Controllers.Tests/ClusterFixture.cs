using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Monokube.ApiServer.Hosting;
using Monokube.ApiServer.Security;
using Monokube.Controllers.Client;
using Monokube.Storage.Memory;
using Monokube.TestSupport;

namespace Monokube.Controllers.Tests;

/// <summary>
/// monokube serve as the pivot runs it: the API over HTTPS (memory store) with the built-in controllers and the
/// scheduler inside, under leader election; plus an admin client and kubeconfig for the tests. Nodes are Node
/// objects the tests create (there is no kubelet here).
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private ApiServer.Hosting.ApiServer? _server;
    private EmbeddedControllers? _controllers;

    public KubeClient Client { get; private set; } = null!;

    public string Kubeconfig => _dir.File("admin.kubeconfig");

    public string Url => _server!.Url.ToString().TrimEnd('/');

    public EmbeddedControllers Controllers => _controllers!;

    /// <summary>The cluster CA (PEM) that serves the API and signs certificates.</summary>
    public string CaPem { get; private set; } = "";

    /// <summary>The controllers' settings, as monokube serve gives them: the generated CA publishes and signs.</summary>
    protected virtual ControllerOptions CreateOptions(ApiServer.Hosting.ApiServer server) => new()
    {
        RootCaPem = CaPem,
        SigningCertificate = server.Security.Pki!.GeneratedCa!.Certificate,
        ServiceAccountPrivateKey = server.Security.Pki.ServiceAccountSigningKey,
    };

    public async ValueTask InitializeAsync()
    {
        var options = new ApiServerOptions
        {
            BindAddress = IPAddress.Loopback,
            Port = 0,
            Security = new SecurityOptions { CertDir = _dir.File("certs"), EnableBootstrapTokenAuth = true },
        };
        _server = await ApiServer.Hosting.ApiServer.StartAsync(options, new MemoryObjectStore());
        await _server.WriteAdminKubeconfigAsync(Kubeconfig, CancellationToken.None);
        Client = new KubeClient(KubeconfigFile.Load(Kubeconfig, "tests"));
        CaPem = _server.Security.Pki!.GeneratedCa!.Certificate.ExportCertificatePem() + "\n";
        _controllers = EmbeddedControllers.Start(_server, CreateOptions(_server), leaderElect: true, TimeProvider.System, NullLoggerFactory.Instance);
        await _controllers.ControllerManager!.Started.WaitAsync(TimeSpan.FromSeconds(30));
        await _controllers.Scheduler!.Started.WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        if (_controllers is not null)
        {
            await _controllers.DisposeAsync();
        }

        Client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _dir.Dispose();
        GC.SuppressFinalize(this);
    }

    public async Task<string> NamespaceAsync()
    {
        var ns = "t-" + Guid.NewGuid().ToString("N")[..10];
        await Client.CreateAsync(ResourceRef.Namespaces, null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } }, TestContext.Current.CancellationToken);
        return ns;
    }

    /// <summary>A Ready node with room for pods, as a kubelet would register it.</summary>
    public async Task<JsonObject> NodeAsync(string name, JsonObject? labels = null, JsonArray? taints = null, string cpu = "4", string memory = "8Gi", bool unschedulable = false)
    {
        var node = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels ?? new JsonObject { ["kubernetes.io/hostname"] = name } },
            ["spec"] = new JsonObject { ["unschedulable"] = unschedulable },
            ["status"] = new JsonObject
            {
                ["capacity"] = new JsonObject { ["cpu"] = cpu, ["memory"] = memory, ["pods"] = "110" },
                ["allocatable"] = new JsonObject { ["cpu"] = cpu, ["memory"] = memory, ["pods"] = "110" },
                ["conditions"] = new JsonArray((JsonNode)new JsonObject { ["type"] = "Ready", ["status"] = "True", ["reason"] = "KubeletReady" }),
            },
        };
        if (taints is not null)
        {
            node["spec"]!["taints"] = taints;
        }

        return await Client.CreateAsync(ResourceRef.Nodes, null, node, TestContext.Current.CancellationToken);
    }

    public async Task<List<JsonObject>> PodsAsync(string ns, string? labelSelector = null)
    {
        var list = await Client.ListAsync(ResourceRef.Pods, ns, TestContext.Current.CancellationToken, labelSelector);
        return [.. (list["items"] as JsonArray ?? []).OfType<JsonObject>()];
    }

    /// <summary>Polls until <paramref name="condition"/> holds (no fixed sleeps), failing with <paramref name="what"/>.</summary>
    public static Task WaitAsync(Func<Task<bool>> condition, string what, int seconds = 30) =>
        Eventually.WaitAsync(condition, TimeSpan.FromSeconds(seconds), what);

    /// <summary>A client of this server authenticated as someone else (a bootstrap token, a node's certificate).</summary>
    public KubeClient ClientAs(string? bearerToken = null, X509Certificate2? certificate = null) => new(new KubeClientOptions
    {
        Server = new Uri(Url),
        CertificateAuthorities = [X509Certificate2.CreateFromPem(CaPem)],
        BearerToken = bearerToken,
        ClientCertificate = certificate,
    });

    /// <summary>A client certificate for <paramref name="user"/> from the cluster CA (a component's credentials).</summary>
    public X509Certificate2 IssueClientCertificate(string user, params string[] groups) =>
        _server!.Security.Pki!.GeneratedCa!.IssueClient(user, groups, TimeSpan.FromDays(1), DateTimeOffset.UtcNow);

    public Task<(int ExitCode, string Stdout, string Stderr)> KubectlAsync(params string[] args) =>
        Kubectl.RunAsync(Kubectl.Find(null), Kubeconfig, args);

    public async Task<string> KubectlOkAsync(params string[] args)
    {
        var (code, stdout, stderr) = await KubectlAsync(args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}:\n{stderr}\n{stdout}");
        return stdout;
    }
}
