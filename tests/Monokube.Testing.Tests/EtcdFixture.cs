using Monokube.TestSupport;

namespace Monokube.Testing.Tests;

/// <summary>One etcd for the etcd-backed clusters of a test class.</summary>
public sealed class EtcdFixture : IAsyncLifetime
{
    public EtcdProcess Etcd { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Etcd = await EtcdProcess.StartAsync();

    public async ValueTask DisposeAsync() => await Etcd.DisposeAsync();

    /// <summary>The keys under a prefix, as etcdctl lists them.</summary>
    public async Task<string[]> KeysAsync(string prefix)
    {
        var (code, output) = await Etcd.EtcdctlAsync("get", "--prefix", "--keys-only", prefix);
        Assert.True(code == 0, output);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
