namespace Monokube.Controllers.Queue;

/// <summary>
/// A queue of keys as client-go's rate-limited work queue: a key waits at most once however often it is added, is
/// never handed to two workers at once (added while in work, it comes back after <see cref="Done"/>), can be
/// added after a delay, and after failures comes back with per-key exponential backoff (5 ms doubling to 1000 s).
/// Time comes from a <see cref="TimeProvider"/>, so tests control delays and backoff.
/// </summary>
public sealed class WorkQueue : IDisposable
{
    private static readonly TimeSpan BaseDelay = TimeSpan.FromMilliseconds(5);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(1000);

    private readonly TimeProvider _time;
    private readonly Queue<string> _queue = new();
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _processing = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Delayed> _delayed = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _available = new(0);
    private readonly Lock _gate = new();
    private bool _shutDown;

    public WorkQueue(TimeProvider time)
    {
        _time = time;
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    public void Add(string key)
    {
        lock (_gate)
        {
            if (_shutDown || !_dirty.Add(key))
            {
                return;
            }

            if (_processing.Contains(key))
            {
                return;
            }

            _queue.Enqueue(key);
        }

        _available.Release();
    }

    /// <summary>Adds the key once <paramref name="delay"/> has passed; of several pending delays for a key the soonest wins, as in client-go.</summary>
    public void AddAfter(string key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        lock (_gate)
        {
            var due = _time.GetUtcNow() + delay;
            if (_shutDown || (_delayed.TryGetValue(key, out var pending) && pending.Due <= due))
            {
                return;
            }

            pending?.Timer.Dispose();
            var delayed = new Delayed(due);
            delayed.Timer = _time.CreateTimer(_ => Fire(key, delayed), null, delay, Timeout.InfiniteTimeSpan);
            _delayed[key] = delayed;
        }
    }

    /// <summary>Adds the key after its backoff, which doubles with each failure until <see cref="Forget"/>.</summary>
    public void AddRateLimited(string key)
    {
        int failures;
        lock (_gate)
        {
            failures = _failures.GetValueOrDefault(key);
            _failures[key] = failures + 1;
        }

        var delay = TimeSpan.FromTicks((long)Math.Min(BaseDelay.Ticks * Math.Pow(2, failures), MaxDelay.Ticks));
        AddAfter(key, delay);
    }

    public void Forget(string key)
    {
        lock (_gate)
        {
            _failures.Remove(key);
        }
    }

    /// <summary>The next key to work on, or null once the queue is shut down.</summary>
    public async ValueTask<string?> GetAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            await _available.WaitAsync(cancellationToken);
            lock (_gate)
            {
                if (_shutDown)
                {
                    _available.Release();
                    return null;
                }

                if (_queue.Count == 0)
                {
                    continue;
                }

                var key = _queue.Dequeue();
                _dirty.Remove(key);
                _processing.Add(key);
                return key;
            }
        }
    }

    /// <summary>Marks work on the key finished; a key added meanwhile is queued again now.</summary>
    public void Done(string key)
    {
        var requeue = false;
        lock (_gate)
        {
            _processing.Remove(key);
            if (_dirty.Contains(key) && !_shutDown)
            {
                _queue.Enqueue(key);
                requeue = true;
            }
        }

        if (requeue)
        {
            _available.Release();
        }
    }

    public void ShutDown()
    {
        lock (_gate)
        {
            _shutDown = true;
            foreach (var delayed in _delayed.Values)
            {
                delayed.Timer.Dispose();
            }

            _delayed.Clear();
        }

        _available.Release();
    }

    public void Dispose()
    {
        ShutDown();
        _available.Dispose();
    }

    private void Fire(string key, Delayed delayed)
    {
        lock (_gate)
        {
            // A timer replaced by a sooner one may still fire: only the current one counts.
            if (!_delayed.TryGetValue(key, out var current) || current != delayed)
            {
                return;
            }

            _delayed.Remove(key);
            delayed.Timer.Dispose();
        }

        Add(key);
    }

    private sealed class Delayed(DateTimeOffset due)
    {
        public DateTimeOffset Due { get; } = due;

        public ITimer Timer { get; set; } = null!;
    }
}
