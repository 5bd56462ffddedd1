namespace Monokube.Storage.Tests;

public sealed class EtcdObjectStoreConformanceTests(EtcdStoreFixture fixture) : ObjectStoreConformanceTests, IClassFixture<EtcdStoreFixture>
{
    protected override IObjectStore Store => fixture.Store;
}
