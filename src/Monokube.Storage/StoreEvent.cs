namespace Monokube.Storage;

/// <summary>
/// One change seen by a watch. For <see cref="StoreEventType.Deleted"/>, <see cref="Value"/> is the object's last
/// value and <see cref="Revision"/> the revision of the deletion. <see cref="PrevValue"/> is the value before a
/// modification (or deletion).
/// </summary>
public sealed record StoreEvent(StoreEventType Type, string Key, byte[]? Value, byte[]? PrevValue, long Revision, string? Message = null)
{
    public static StoreEvent Progress(long revision) => new(StoreEventType.Progress, "", null, null, revision);

    public static StoreEvent Expired(long revision, string message) => new(StoreEventType.Expired, "", null, null, revision, message);
}
