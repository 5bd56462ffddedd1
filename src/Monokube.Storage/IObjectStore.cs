namespace Monokube.Storage;

/// <summary>
/// The one storage interface of monokube: an ordered, revisioned key-value store with kube-apiserver's semantics.
/// Keys are paths below the store's prefix ("/configmaps/default/x"); values are the JSON of an object as
/// kube-apiserver stores it (no resourceVersion, no selfLink). Revisions are global and only grow; an object's
/// resourceVersion is its <see cref="StoredObject.ModRevision"/>.
/// Expected outcomes (not found, already exists, conflict, expired) are results; an unreachable backend throws
/// <see cref="StoreUnavailableException"/>.
/// </summary>
public interface IObjectStore : IAsyncDisposable
{
    /// <summary>A short name for logs and health checks ("memory", "etcd").</summary>
    string Name { get; }

    ValueTask<StoreResult> GetAsync(string key, CancellationToken cancellationToken = default);

    ValueTask<ListResult> ListAsync(ListRequest request, CancellationToken cancellationToken = default);

    /// <summary>Creates the key; <see cref="StoreStatus.AlreadyExists"/> (with the existing object) if it exists.</summary>
    ValueTask<StoreResult> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default);

    /// <summary>Replaces the key's value if the preconditions hold against the current object.</summary>
    ValueTask<StoreResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, Preconditions preconditions, CancellationToken cancellationToken = default);

    /// <summary>Deletes the key if the preconditions hold; the result carries the deleted object.</summary>
    ValueTask<StoreResult> DeleteAsync(string key, Preconditions preconditions, CancellationToken cancellationToken = default);

    /// <summary>
    /// Watches every key under <paramref name="prefix"/> for changes with a revision greater than
    /// <paramref name="afterRevision"/> (0: from the current revision). History after that revision is replayed
    /// first, without gaps or duplicates; <see cref="StoreStatus.Expired"/> if it has been compacted.
    /// </summary>
    ValueTask<WatchStartResult> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken = default);

    /// <summary>
    /// A watch that delivers only the changes <paramref name="filter"/> accepts (progress and expiry always), so
    /// that a watcher with a selector is not woken for every change under the prefix. The filter runs on the
    /// writer's side, perhaps under the store's lock: it must be quick and must not throw.
    /// </summary>
    ValueTask<WatchStartResult> WatchAsync(string prefix, long afterRevision, Func<StoreEvent, bool>? filter, CancellationToken cancellationToken = default);

    ValueTask<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default);

    /// <summary>Discards history before <paramref name="revision"/>; reads and watches older than it become expired.</summary>
    ValueTask<StoreResult> CompactAsync(long revision, CancellationToken cancellationToken = default);

    /// <summary>Checks that the backend answers; throws <see cref="StoreUnavailableException"/> if not.</summary>
    ValueTask CheckHealthAsync(CancellationToken cancellationToken = default);
}
