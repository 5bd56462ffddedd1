namespace Monokube.Controllers.Workloads;

/// <summary>
/// kube's controller expectations: after asking for N creations or deletions, a controller waits until its informer
/// has seen them before it counts pods again, so it never acts twice on a stale cache. Expectations lapse after
/// five minutes in case an event was missed.
/// </summary>
public sealed class Expectations(TimeProvider time)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, (int Adds, int Deletes, DateTimeOffset Set)> _pending = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void Expect(string key, int adds, int deletes)
    {
        lock (_gate)
        {
            _pending[key] = (adds, deletes, time.GetUtcNow());
        }
    }

    public void Observed(string key, bool added)
    {
        lock (_gate)
        {
            if (_pending.TryGetValue(key, out var e))
            {
                _pending[key] = added ? e with { Adds = e.Adds - 1 } : e with { Deletes = e.Deletes - 1 };
            }
        }
    }

    /// <summary>A creation or deletion that failed will never be observed; stop waiting for it.</summary>
    public void Lower(string key, bool added) => Observed(key, added);

    public bool Satisfied(string key)
    {
        lock (_gate)
        {
            if (!_pending.TryGetValue(key, out var e))
            {
                return true;
            }

            if ((e.Adds <= 0 && e.Deletes <= 0) || time.GetUtcNow() - e.Set > Ttl)
            {
                _pending.Remove(key);
                return true;
            }

            return false;
        }
    }

    public void Forget(string key)
    {
        lock (_gate)
        {
            _pending.Remove(key);
        }
    }
}
