using Monokube.TestSupport;

namespace Monokube.Differential.Tests;

/// <summary>
/// The real kube-apiserver v1.26.1 and monokube serve --emulated-version=1.26 on one etcd at once, with the same
/// credentials, as during a pivot: what one writes, the other reads.
/// </summary>
public sealed class SharedEtcdPair : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private EtcdProcess? _etcd;
    private KubeApiServerProcess? _kubeApiServer;
    private MonokubeProcess? _monokube;

    public ClusterPki Pki { get; private set; } = null!;

    public Side Real { get; private set; } = null!;

    public Side Monokube { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Pki = ClusterPki.Create(_dir.File("pki"));
        if (KubernetesBinaries.Folder is null)
        {
            return;
        }

        _etcd = await EtcdProcess.StartAsync();
        _kubeApiServer = await KubeApiServerProcess.StartAsync(Pki, _etcd.ClientUrl);
        _monokube = await MonokubeProcess.ServeAsync(
        [
            "--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir=" + _dir.File("monokube-certs"),
            "--emulated-version=1.26", "--controllers=none", "--etcd-servers=" + _etcd.ClientUrl, .. Pki.ServerFlags,
        ]);
        Real = new Side("kube-apiserver v1.26.1", _kubeApiServer.Url, Pki);
        Monokube = new Side("monokube", _monokube.Url, Pki);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in new IAsyncDisposable?[] { _monokube, _kubeApiServer, _etcd })
        {
            if (process is not null)
            {
                await process.DisposeAsync();
            }
        }

        Pki?.Dispose();
        _dir.Dispose();
    }
}
