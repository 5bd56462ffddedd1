namespace Monokube.Controllers.Workloads;

/// <summary>
/// kube's controller expectations: after asking for N creations or for the deletion of given pods, a controller
/// waits until its informer has seen them before it counts pods again, so it never acts twice on a stale cache.
/// Deletions are tracked by pod, so a pod seen going (deletionTimestamp set) and then gone counts once.
/// Expectations lapse after five minutes in case an event was missed.
/// </summary>
public sealed class Expectations(TimeProvider time)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, (int Adds, HashSet<string> Deletes, DateTimeOffset Set)> _pending = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void ExpectCreations(string key, int adds)
    {
        lock (_gate)
        {
            _pending[key] = (adds, new HashSet<string>(StringComparer.Ordinal), time.GetUtcNow());
        }
    }

    public void ExpectDeletions(string key, IEnumerable<string> podKeys)
    {
        lock (_gate)
        {
            _pending[key] = (0, new HashSet<string>(podKeys, StringComparer.Ordinal), time.GetUtcNow());
        }
    }

    /// <summary>Creations and deletions asked for together (a DaemonSet's sync does both in one pass).</summary>
    public void Expect(string key, int adds, IEnumerable<string> podKeys)
    {
        lock (_gate)
        {
            _pending[key] = (adds, new HashSet<string>(podKeys, StringComparer.Ordinal), time.GetUtcNow());
        }
    }

    public void CreationObserved(string key)
    {
        lock (_gate)
        {
            if (_pending.TryGetValue(key, out var e))
            {
                _pending[key] = e with { Adds = e.Adds - 1 };
            }
        }
    }

    public void DeletionObserved(string key, string podKey)
    {
        lock (_gate)
        {
            if (_pending.TryGetValue(key, out var e))
            {
                e.Deletes.Remove(podKey);
            }
        }
    }

    public bool Satisfied(string key)
    {
        lock (_gate)
        {
            if (!_pending.TryGetValue(key, out var e))
            {
                return true;
            }

            if ((e.Adds <= 0 && e.Deletes.Count == 0) || time.GetUtcNow() - e.Set > Ttl)
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
