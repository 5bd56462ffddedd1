using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.TestSupport;

namespace Monokube.Differential.Tests;

/// <summary>One side of a comparison: a server (the real kube-apiserver or monokube) served with the pair's credentials.</summary>
public sealed class Side(string name, string url, ClusterPki pki)
{
    public string Name { get; } = name;

    public string Url { get; } = url;

    /// <summary>A client with a bearer token, a client certificate, or neither.</summary>
    public HttpClient Client(string? token = null, X509Certificate2? certificate = null) => KubeApiServerProcess.CreateHttp(Url, pki.Ca, token, certificate);

    public HttpClient Admin() => Client(ClusterPki.AdminToken);

    /// <summary>Sends a request and returns its status code and body (a JSON object, or the text in "text").</summary>
    public static async Task<(int Code, JsonObject Body, HttpResponseMessage Response)> SendAsync(HttpClient http, HttpMethod method, string path, string? body = null, string contentType = "application/json", Action<HttpRequestMessage>? change = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        change?.Invoke(request);
        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        JsonObject parsed;
        try
        {
            parsed = JsonNode.Parse(text) as JsonObject ?? new JsonObject { ["text"] = text };
        }
        catch (System.Text.Json.JsonException)
        {
            parsed = new JsonObject { ["text"] = text };
        }

        return ((int)response.StatusCode, parsed, response);
    }

    public async Task<JsonObject> CreateAsync(string path, string body)
    {
        using var admin = Admin();
        var (code, created, response) = await SendAsync(admin, HttpMethod.Post, path, body);
        response.Dispose();
        if (code != (int)HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"{Name}: POST {path} answered {code}: {created.ToJsonString()}");
        }

        return created;
    }
}

/// <summary>
/// The real kube-apiserver v1.26.1 (with a kube-controller-manager running only the clusterrole-aggregation
/// controller, so that admin, edit and view hold their rules) and monokube serve --emulated-version=1.26 (with its
/// own aggregation controller), started with the same credentials and flags, each on its own store.
/// </summary>
public class ServerPair : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private EtcdProcess? _etcd;
    private KubeApiServerProcess? _kubeApiServer;
    private BackgroundProcess? _controllerManager;
    private MonokubeProcess? _monokube;

    public ClusterPki Pki { get; private set; } = null!;

    public Side Real { get; private set; } = null!;

    public Side Monokube { get; private set; } = null!;

    public IEnumerable<Side> Sides => [Real, Monokube];

    public string Folder => _dir.Path;

    /// <summary>Token-file lines besides the admin's (token,user,uid,"groups").</summary>
    protected virtual IEnumerable<string> Tokens => [];

    /// <summary>What every test of the pair needs on both servers, created the same way on each.</summary>
    protected virtual Task PrepareAsync(Side side) => Task.CompletedTask;

    public async ValueTask InitializeAsync()
    {
        Pki = ClusterPki.Create(_dir.File("pki"), Tokens);
        if (KubernetesBinaries.Folder is null)
        {
            return;
        }

        _etcd = await EtcdProcess.StartAsync();
        _kubeApiServer = await KubeApiServerProcess.StartAsync(Pki, _etcd.ClientUrl);
        var kubeconfig = KubeApiServerProcess.WriteKubeconfig(_dir.File("real.kubeconfig"), _kubeApiServer.Url, Pki);
        _controllerManager = BackgroundProcess.Start(KubernetesBinaries.ControllerManager,
            ["--kubeconfig=" + kubeconfig, "--controllers=clusterrole-aggregation", "--leader-elect=false", "--secure-port=0", "--kube-api-content-type=application/json"]);
        _monokube = await MonokubeProcess.ServeAsync(
        [
            "--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir=" + _dir.File("monokube-certs"),
            "--emulated-version=1.26", "--controllers=clusterrole-aggregation-controller", "--leader-elect=false",
            .. Pki.ServerFlags,
        ]);
        Real = new Side("kube-apiserver v1.26.1", _kubeApiServer.Url, Pki);
        Monokube = new Side("monokube", _monokube.Url, Pki);
        foreach (var side in Sides)
        {
            await AggregatedAsync(side);
            await PrepareAsync(side);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_monokube is not null)
        {
            await _monokube.DisposeAsync();
        }

        if (_controllerManager is not null)
        {
            await _controllerManager.DisposeAsync();
        }

        if (_kubeApiServer is not null)
        {
            await _kubeApiServer.DisposeAsync();
        }

        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }

        Pki?.Dispose();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }

    // admin, edit and view get their rules from the aggregation controller.
    private static async Task AggregatedAsync(Side side)
    {
        using var admin = side.Admin();
        await Eventually.WaitAsync(async () =>
        {
            foreach (var role in new[] { "admin", "edit", "view" })
            {
                var (code, body, response) = await Side.SendAsync(admin, HttpMethod.Get, "/apis/rbac.authorization.k8s.io/v1/clusterroles/" + role);
                response.Dispose();
                if (code != 200 || body["rules"] is not JsonArray { Count: > 0 })
                {
                    return false;
                }
            }

            return true;
        }, TimeSpan.FromSeconds(60), side.Name + "'s aggregated roles to hold their rules");
    }
}
