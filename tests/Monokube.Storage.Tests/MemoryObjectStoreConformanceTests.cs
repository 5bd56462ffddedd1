using Monokube.Storage.Memory;

namespace Monokube.Storage.Tests;

public sealed class MemoryObjectStoreConformanceTests : ObjectStoreConformanceTests, IAsyncDisposable
{
    private readonly MemoryObjectStore _store = new();

    protected override IObjectStore Store => _store;

    public ValueTask DisposeAsync() => _store.DisposeAsync();
}
