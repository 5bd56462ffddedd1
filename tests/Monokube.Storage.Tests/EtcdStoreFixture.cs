using Monokube.Storage.Etcd;
using Monokube.TestSupport;

namespace Monokube.Storage.Tests;

/// <summary>One real etcd for a test class, with a store over it.</summary>
public sealed class EtcdStoreFixture : IAsyncLifetime
{
    private EtcdProcess? _etcd;

    public EtcdProcess Etcd => _etcd ?? throw new InvalidOperationException("the fixture has not started");

    public EtcdObjectStore Store { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _etcd = await EtcdProcess.StartAsync();
        Store = new EtcdObjectStore(new EtcdOptions { Endpoints = [new Uri(_etcd.ClientUrl)] });
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        if (_etcd is not null)
        {
            await _etcd.DisposeAsync();
        }
    }
}
