namespace Monokube.Storage;

public enum StoreEventType
{
    Created,
    Modified,
    Deleted,

    /// <summary>The store knows nothing changed under the prefix up to <see cref="StoreEvent.Revision"/>.</summary>
    Progress,

    /// <summary>
    /// The watch cannot continue without a gap (history compacted while reconnecting, or the watcher fell behind).
    /// It is the last event; the watcher must re-list.
    /// </summary>
    Expired,
}
