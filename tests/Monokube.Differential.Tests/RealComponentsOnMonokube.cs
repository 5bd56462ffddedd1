using System.Text.Json.Nodes;
using Monokube.TestSupport;

namespace Monokube.Differential.Tests;

/// <summary>
/// monokube serve --controllers=none --emulated-version=1.26 as the API of the real kube-controller-manager (every
/// controller, bootstrapsigner and tokencleaner, each as its own service account) and kube-scheduler v1.26.1, both
/// under leader election and serving their secure ports with delegated authentication, and of two simulated nodes
/// (monokube node): the control plane a pivot brings up talks to monokube before the handover.
/// </summary>
public sealed class RealComponentsOnMonokube : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private MonokubeProcess? _monokube;
    private BackgroundProcess? _controllerManager;
    private BackgroundProcess? _scheduler;
    private MonokubeProcess? _nodes;

    public ClusterPki Pki { get; private set; } = null!;

    public Side Api { get; private set; } = null!;

    public string AdminKubeconfig => _dir.File("admin.kubeconfig");

    public string ControllerManagerLog => _controllerManager?.Stdout + _controllerManager?.Stderr;

    public string SchedulerLog => _scheduler?.Stdout + _scheduler?.Stderr;

    public string MonokubeLog => _monokube?.Output ?? "";

    public async ValueTask InitializeAsync()
    {
        Pki = ClusterPki.Create(_dir.File("pki"));
        if (KubernetesBinaries.Folder is null)
        {
            return;
        }

        _monokube = await MonokubeProcess.ServeAsync(
        [
            "--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir=" + _dir.File("monokube-certs"),
            "--emulated-version=1.26", "--controllers=none", .. Pki.ServerFlags,

            // Front-proxy settings as clusters have them: the components' delegated authentication reads them.
            "--requestheader-client-ca-file=" + Pki.CaFile, "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-username-headers=X-Remote-User", "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        ]);
        Api = new Side("monokube", _monokube.Url, Pki);
        KubeApiServerProcess.WriteKubeconfig(AdminKubeconfig, Api.Url, Pki);
        var controllerManager = Pki.WriteCertificateKubeconfig(_dir.File("controller-manager.kubeconfig"), Api.Url, "system:kube-controller-manager");
        var scheduler = Pki.WriteCertificateKubeconfig(_dir.File("scheduler.kubeconfig"), Api.Url, "system:kube-scheduler");
        _controllerManager = BackgroundProcess.Start(KubernetesBinaries.ControllerManager,
        [
            "--kubeconfig=" + controllerManager, "--authentication-kubeconfig=" + controllerManager, "--authorization-kubeconfig=" + controllerManager,
            "--bind-address=127.0.0.1", "--secure-port=" + FreePort.Next(), "--cert-dir=" + _dir.File("kcm-certs"),
            "--controllers=*,bootstrapsigner,tokencleaner", "--use-service-account-credentials",
            "--cluster-signing-cert-file=" + Pki.CaFile, "--cluster-signing-key-file=" + Pki.CaKeyFile,
            "--service-account-private-key-file=" + Pki.ServiceAccountKeyFile, "--root-ca-file=" + Pki.CaFile,
            "--kube-api-content-type=application/json", "--leader-elect=true", "--node-monitor-grace-period=16s",
        ]);
        _scheduler = BackgroundProcess.Start(KubernetesBinaries.Scheduler,
        [
            "--kubeconfig=" + scheduler, "--authentication-kubeconfig=" + scheduler, "--authorization-kubeconfig=" + scheduler,
            "--bind-address=127.0.0.1", "--secure-port=" + FreePort.Next(), "--cert-dir=" + _dir.File("scheduler-certs"),
            "--kube-api-content-type=application/json", "--leader-elect=true",
        ]);
        _nodes = MonokubeProcess.Launch("node", "--kubeconfig", AdminKubeconfig, "--node-name", "sim", "--count", "2",
            "--root-dir", _dir.File("nodes"), "--port", "0", "--fake-run-duration", "1s");
    }

    /// <summary>Stops one simulated node's agent (both of them: they run in one process), as a node that dies.</summary>
    public async Task StopNodesAsync()
    {
        if (_nodes is not null)
        {
            await _nodes.DisposeAsync();
            _nodes = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in new IAsyncDisposable?[] { _nodes, _scheduler, _controllerManager, _monokube })
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }

        Pki?.Dispose();
        _dir.Dispose();
    }

    public async Task<JsonObject?> GetAsync(string path)
    {
        using var admin = Api.Admin();
        var (code, body, response) = await Side.SendAsync(admin, HttpMethod.Get, path);
        response.Dispose();
        return code == 200 ? body : null;
    }

    public Task<(int ExitCode, string Stdout, string Stderr)> KubectlAsync(params string[] args) =>
        Kubectl.RunAsync(Kubectl.Find(null), AdminKubeconfig, args);

    public async Task<string> KubectlOkAsync(params string[] args)
    {
        var (code, stdout, stderr) = await KubectlAsync(args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}:\n{stderr}\n{stdout}");
        return stdout;
    }
}
