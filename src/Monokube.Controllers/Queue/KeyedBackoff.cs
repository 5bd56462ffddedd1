namespace Monokube.Controllers.Queue;

/// <summary>
/// client-go's flowcontrol.Backoff: a delay per key that doubles each time the key steps again (up to a maximum)
/// and starts over once the key has been quiet for twice the maximum.
/// </summary>
public sealed class KeyedBackoff(TimeProvider time, TimeSpan initial, TimeSpan max)
{
    private readonly Dictionary<string, (TimeSpan Delay, DateTimeOffset LastUpdate)> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>The key's current delay (zero when it has none).</summary>
    public TimeSpan Get(string key)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(key, out var e) ? e.Delay : TimeSpan.Zero;
        }
    }

    /// <summary>Steps the key: its first delay, or the previous one doubled.</summary>
    public void Next(string key)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            foreach (var stale in _entries.Where(e => now - e.Value.LastUpdate > 2 * max).Select(e => e.Key).ToList())
            {
                _entries.Remove(stale);
            }

            var delay = _entries.TryGetValue(key, out var e) ? TimeSpan.FromTicks(Math.Min(e.Delay.Ticks * 2, max.Ticks)) : initial;
            _entries[key] = (delay, now);
        }
    }

    /// <summary>Whether less than the key's delay has passed since it last stepped.</summary>
    public bool IsInBackoffSinceUpdate(string key)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            return _entries.TryGetValue(key, out var e) && now - e.LastUpdate < e.Delay;
        }
    }
}
