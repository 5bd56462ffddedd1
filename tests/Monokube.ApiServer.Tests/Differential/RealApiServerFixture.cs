using Monokube.TestSupport;

namespace Monokube.ApiServer.Tests.Differential;

/// <summary>
/// The real kube-apiserver v1.26.1 on its own etcd, with a fresh <see cref="ClusterPki"/>, for tests that compare
/// monokube with it. When the binaries are not here the fixture starts nothing and each test skips (or fails, where
/// $MONOKUBE_REQUIRE_REAL_KUBE says they must run) through <see cref="KubernetesBinaries.SkipUnlessPresent"/>.
/// </summary>
public class RealApiServerFixture : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private EtcdProcess? _etcd;
    private KubeApiServerProcess? _server;

    public ClusterPki Pki { get; private set; } = null!;

    public KubeApiServerProcess Server => _server ?? throw new InvalidOperationException(KubernetesBinaries.Missing);

    public string Folder => _dir.Path;

    /// <summary>Token-file lines besides the admin's (token,user,uid,"groups").</summary>
    protected virtual IEnumerable<string> Tokens => [];

    /// <summary>kube-apiserver flags besides the credentials'.</summary>
    protected virtual IEnumerable<string> ExtraFlags => [];

    public async ValueTask InitializeAsync()
    {
        Pki = ClusterPki.Create(_dir.File("pki"), Tokens);
        if (KubernetesBinaries.Folder is null)
        {
            return;
        }

        _etcd = await EtcdProcess.StartAsync();
        _server = await KubeApiServerProcess.StartAsync(Pki, _etcd.ClientUrl, ExtraFlags);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }

        Pki?.Dispose();
        _dir.Dispose();
        GC.SuppressFinalize(this);
    }
}
