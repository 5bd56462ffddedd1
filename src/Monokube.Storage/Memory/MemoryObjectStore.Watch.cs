namespace Monokube.Storage.Memory;

public sealed partial class MemoryObjectStore
{
    public ValueTask<WatchStartResult> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken = default) =>
        WatchAsync(prefix, afterRevision, null, cancellationToken);

    public ValueTask<WatchStartResult> WatchAsync(string prefix, long afterRevision, Func<StoreEvent, bool>? filter, CancellationToken cancellationToken = default)
    {
        KeyRange.ValidateKey(prefix);
        lock (_gate)
        {
            if (afterRevision == 0)
            {
                afterRevision = _revision;
            }

            // Events after afterRevision must all still be in the log (the event at the compacted revision is kept).
            if (afterRevision + 1 < _compactedRevision)
            {
                return ValueTask.FromResult(new WatchStartResult(StoreStatus.Expired, null, _revision));
            }

            var watch = new MemoryWatch(this, prefix, afterRevision, filter);
            var first = (int)Math.Max(0, afterRevision + 1 - _logFirstRevision);
            for (var i = first; i < _log.Count; i++)
            {
                var e = _log[i];
                if (e.Key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    watch.TryDeliver(e);
                }
            }

            _watches.Add(watch);
            return ValueTask.FromResult(new WatchStartResult(StoreStatus.Ok, watch, _revision));
        }
    }

    // Under the lock no write is half-delivered, so every event up to the current revision is already queued.
    internal void SendProgress(MemoryWatch watch)
    {
        lock (_gate)
        {
            if (_watches.Contains(watch))
            {
                watch.TryWrite(StoreEvent.Progress(Math.Max(_revision, watch.AfterRevision)));
            }
        }
    }

    internal void RemoveWatch(MemoryWatch watch)
    {
        lock (_gate)
        {
            _watches.Remove(watch);
        }
    }

    private void Notify(StoreEvent e)
    {
        List<MemoryWatch>? overflowed = null;
        foreach (var watch in _watches)
        {
            if (e.Revision <= watch.AfterRevision || !e.Key.StartsWith(watch.Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            if (watch.Backlog >= _options.WatchBacklogLimit)
            {
                (overflowed ??= []).Add(watch);
                continue;
            }

            watch.TryDeliver(e);
        }

        if (overflowed is null)
        {
            return;
        }

        foreach (var watch in overflowed)
        {
            watch.TryWrite(StoreEvent.Expired(e.Revision, "the watcher fell behind by more than " + _options.WatchBacklogLimit + " events"));
            watch.Complete();
            _watches.Remove(watch);
        }
    }
}
