namespace Monokube.ApiServer.Handlers;

/// <summary>
/// Bounds the watches one client holds open at once (the authenticated user; with plain HTTP, the remote address),
/// so a runaway client cannot pin the server's memory with watches; the next one gets 429 until one closes.
/// </summary>
public sealed class WatchLimiter(int maxPerClient)
{
    private readonly Dictionary<string, int> _open = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public int MaxPerClient => maxPerClient;

    /// <summary>A slot for one more watch of <paramref name="client"/>, released on dispose; null when it has none left.</summary>
    public IDisposable? TryAcquire(string client)
    {
        lock (_gate)
        {
            var open = _open.GetValueOrDefault(client);
            if (open >= maxPerClient)
            {
                return null;
            }

            _open[client] = open + 1;
        }

        return new Slot(this, client);
    }

    /// <summary>How many watches the client holds now.</summary>
    public int OpenFor(string client)
    {
        lock (_gate)
        {
            return _open.GetValueOrDefault(client);
        }
    }

    private void Release(string client)
    {
        lock (_gate)
        {
            if (_open[client] <= 1)
            {
                _open.Remove(client);
            }
            else
            {
                _open[client]--;
            }
        }
    }

    private sealed class Slot(WatchLimiter limiter, string client) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                limiter.Release(client);
            }
        }
    }
}
