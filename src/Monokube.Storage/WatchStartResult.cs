namespace Monokube.Storage;

/// <summary>Either a running watch, or <see cref="StoreStatus.Expired"/> / <see cref="StoreStatus.FutureRevision"/>.</summary>
public readonly record struct WatchStartResult(StoreStatus Status, IStoreWatch? Watch, long Revision)
{
    public bool IsOk => Status == StoreStatus.Ok;
}
