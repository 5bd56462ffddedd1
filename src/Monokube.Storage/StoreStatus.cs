namespace Monokube.Storage;

public enum StoreStatus
{
    Ok,
    NotFound,
    AlreadyExists,

    /// <summary>The resourceVersion precondition failed: the object changed since it was read.</summary>
    Conflict,

    /// <summary>The uid precondition failed: the key now holds another object of the same name.</summary>
    UidMismatch,

    /// <summary>The requested revision has been compacted away.</summary>
    Expired,

    /// <summary>The requested revision is newer than the store's current revision.</summary>
    FutureRevision,

    /// <summary>The value is larger than the store accepts (etcd's default request limit is 1.5 MiB).</summary>
    TooLarge,
}
