namespace Monokube.Storage;

/// <summary>
/// The outcome of a single-key operation. <see cref="Object"/> is the object written (create, update), the object
/// deleted (delete), the object read (get), or the current object that made a write fail (already exists, conflict,
/// uid mismatch). <see cref="Revision"/> is the store's revision after the operation.
/// </summary>
public readonly record struct StoreResult(StoreStatus Status, StoredObject? Object, long Revision)
{
    public bool IsOk => Status == StoreStatus.Ok;

    public static StoreResult Ok(StoredObject? obj, long revision) => new(StoreStatus.Ok, obj, revision);

    public static StoreResult Failed(StoreStatus status, StoredObject? current, long revision) => new(status, current, revision);
}
