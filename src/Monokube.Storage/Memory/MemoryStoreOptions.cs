namespace Monokube.Storage.Memory;

public sealed class MemoryStoreOptions
{
    /// <summary>
    /// How many revisions of history (for watches and reads at an old revision) are kept at least; older ones are
    /// compacted automatically, as kube-apiserver compacts etcd. Watching or reading older revisions is expired (410).
    /// </summary>
    public int HistoryLimit { get; init; } = 10_000;

    /// <summary>The largest value accepted, as etcd's default --max-request-bytes (1.5 MiB) less room for the key.</summary>
    public int MaxValueBytes { get; init; } = StoreLimits.DefaultMaxValueBytes;

    /// <summary>Events a watcher may have queued and not yet read before it is ended with an expired event.</summary>
    public int WatchBacklogLimit { get; init; } = 100_000;
}
