namespace Monokube.Storage.Memory;

/// <summary>
/// The embedded store: etcd's semantics in process. One global revision counter, keys in byte order, every
/// version kept until compaction (so lists can be served at an old revision and watches replay without gaps), and
/// automatic compaction that keeps at least <see cref="MemoryStoreOptions.HistoryLimit"/> revisions.
/// All state is guarded by one lock; operations are short and never wait on I/O while holding it.
/// </summary>
public sealed partial class MemoryObjectStore : IObjectStore
{
    private readonly Lock _gate = new();
    private readonly MemoryStoreOptions _options;
    private readonly SortedSet<string> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KeyHistory> _histories = new(StringComparer.Ordinal);

    // One event per revision: _log[i] has revision _logFirstRevision + i.
    private readonly List<StoreEvent> _log = [];
    private readonly List<MemoryWatch> _watches = [];
    private long _logFirstRevision = 2;
    private long _revision = 1;
    private long _compactedRevision;

    public MemoryObjectStore(MemoryStoreOptions? options = null)
    {
        _options = options ?? new MemoryStoreOptions();
        if (_options.HistoryLimit < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "HistoryLimit must be at least 1");
        }
    }

    public string Name => "memory";

    public ValueTask<StoreResult> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        KeyRange.ValidateKey(key);
        lock (_gate)
        {
            return ValueTask.FromResult(TryGetLatest(key, out var current)
                ? StoreResult.Ok(current, _revision)
                : StoreResult.Failed(StoreStatus.NotFound, null, _revision));
        }
    }

    public ValueTask<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_revision);
        }
    }

    public ValueTask CheckHealthAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public ValueTask<ListResult> ListAsync(ListRequest request, CancellationToken cancellationToken = default)
    {
        KeyRange.ValidateKey(request.Prefix);
        var end = KeyRange.PrefixEnd(request.Prefix);
        var start = request.StartKey ?? request.Prefix;
        if (!start.StartsWith(request.Prefix, StringComparison.Ordinal))
        {
            throw new ArgumentException("the start key of a list must lie under its prefix", nameof(request));
        }

        lock (_gate)
        {
            var revision = request.Revision == 0 ? _revision : request.Revision;
            if (revision > _revision)
            {
                return ValueTask.FromResult(ListResult.Failed(StoreStatus.FutureRevision, _revision));
            }

            if (revision < _compactedRevision)
            {
                return ValueTask.FromResult(ListResult.Failed(StoreStatus.Expired, _revision));
            }

            var items = new List<StoredObject>(request.Limit is > 0 and < 1024 ? request.Limit : 16);
            long remaining = 0;
            if (string.CompareOrdinal(start, end) < 0)
            {
                // GetViewBetween includes its upper bound; the range end itself is excluded, as in etcd.
                foreach (var key in _keys.GetViewBetween(start, end))
                {
                    if (key == end)
                    {
                        break;
                    }

                    if (!_histories[key].TryGetAt(revision, out var version))
                    {
                        continue;
                    }

                    if (request.Limit > 0 && items.Count == request.Limit)
                    {
                        remaining++;
                        continue;
                    }

                    items.Add(new StoredObject(key, version.Value!, version.Revision, version.CreateRevision));
                }
            }

            return ValueTask.FromResult(new ListResult(StoreStatus.Ok, items, revision, remaining > 0, remaining));
        }
    }

    public ValueTask<StoreResult> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        KeyRange.ValidateKey(key);
        if (value.Length > _options.MaxValueBytes)
        {
            return ValueTask.FromResult(StoreResult.Failed(StoreStatus.TooLarge, null, 0));
        }

        var stored = StoredValueFormat.ToStored(value.Span);
        lock (_gate)
        {
            if (TryGetLatest(key, out var existing))
            {
                return ValueTask.FromResult(StoreResult.Failed(StoreStatus.AlreadyExists, existing, _revision));
            }

            var revision = ++_revision;
            var history = GetOrAddHistory(key);
            history.Add(new KeyVersion(revision, revision, stored));
            Append(new StoreEvent(StoreEventType.Created, key, stored, null, revision));
            return ValueTask.FromResult(StoreResult.Ok(new StoredObject(key, stored, revision, revision), revision));
        }
    }

    public ValueTask<StoreResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, Preconditions preconditions, CancellationToken cancellationToken = default)
    {
        KeyRange.ValidateKey(key);
        if (value.Length > _options.MaxValueBytes)
        {
            return ValueTask.FromResult(StoreResult.Failed(StoreStatus.TooLarge, null, 0));
        }

        var stored = StoredValueFormat.ToStored(value.Span);
        lock (_gate)
        {
            var failure = CheckPreconditions(key, preconditions, out var current);
            if (failure is { } failed)
            {
                return ValueTask.FromResult(failed);
            }

            var revision = ++_revision;
            _histories[key].Add(new KeyVersion(revision, current!.CreateRevision, stored));
            Append(new StoreEvent(StoreEventType.Modified, key, stored, current.Value, revision));
            return ValueTask.FromResult(StoreResult.Ok(new StoredObject(key, stored, revision, current.CreateRevision), revision));
        }
    }

    public ValueTask<StoreResult> DeleteAsync(string key, Preconditions preconditions, CancellationToken cancellationToken = default)
    {
        KeyRange.ValidateKey(key);
        lock (_gate)
        {
            var failure = CheckPreconditions(key, preconditions, out var current);
            if (failure is { } failed)
            {
                return ValueTask.FromResult(failed);
            }

            var revision = ++_revision;
            _histories[key].Add(new KeyVersion(revision, 0, null));
            Append(new StoreEvent(StoreEventType.Deleted, key, current!.Value, current.Value, revision));
            return ValueTask.FromResult(StoreResult.Ok(current, revision));
        }
    }

    public ValueTask<StoreResult> CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (revision > _revision)
            {
                return ValueTask.FromResult(StoreResult.Failed(StoreStatus.FutureRevision, null, _revision));
            }

            if (revision <= _compactedRevision)
            {
                return ValueTask.FromResult(StoreResult.Failed(StoreStatus.Expired, null, _revision));
            }

            CompactLocked(revision);
            return ValueTask.FromResult(StoreResult.Ok(null, _revision));
        }
    }

    public ValueTask DisposeAsync()
    {
        lock (_gate)
        {
            foreach (var watch in _watches)
            {
                watch.Complete();
            }

            _watches.Clear();
        }

        return ValueTask.CompletedTask;
    }

    private bool TryGetLatest(string key, out StoredObject current)
    {
        if (_histories.TryGetValue(key, out var history) && history.Exists)
        {
            var latest = history.Latest;
            current = new StoredObject(key, latest.Value!, latest.Revision, latest.CreateRevision);
            return true;
        }

        current = null!;
        return false;
    }

    private StoreResult? CheckPreconditions(string key, Preconditions preconditions, out StoredObject? current)
    {
        if (!TryGetLatest(key, out var found))
        {
            current = null;
            return StoreResult.Failed(StoreStatus.NotFound, null, _revision);
        }

        current = found;
        if (preconditions.Uid is not null && preconditions.Uid != StoredValueFormat.ReadUid(found.Value))
        {
            return StoreResult.Failed(StoreStatus.UidMismatch, found, _revision);
        }

        if (preconditions.Revision != 0 && preconditions.Revision != found.ModRevision)
        {
            return StoreResult.Failed(StoreStatus.Conflict, found, _revision);
        }

        return null;
    }

    private KeyHistory GetOrAddHistory(string key)
    {
        if (!_histories.TryGetValue(key, out var history))
        {
            history = new KeyHistory();
            _histories.Add(key, history);
            _keys.Add(key);
        }

        return history;
    }

    private void Append(StoreEvent e)
    {
        _log.Add(e);
        Notify(e);

        // Compact in batches so that each write pays O(1) on average.
        var oldest = Math.Max(_compactedRevision, 1);
        if (_revision - oldest >= 2L * _options.HistoryLimit)
        {
            CompactLocked(_revision - _options.HistoryLimit);
        }
    }

    private void CompactLocked(long revision)
    {
        var drop = (int)Math.Clamp(revision - _logFirstRevision, 0, _log.Count);
        for (var i = 0; i < drop; i++)
        {
            var key = _log[i].Key;
            if (_histories.TryGetValue(key, out var history) && history.Compact(revision))
            {
                _histories.Remove(key);
                _keys.Remove(key);
            }
        }

        _log.RemoveRange(0, drop);
        _logFirstRevision += drop;
        _compactedRevision = revision;
    }
}
