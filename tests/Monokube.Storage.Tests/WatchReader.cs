namespace Monokube.Storage.Tests;

internal static class WatchReader
{
    /// <summary>Reads exactly <paramref name="count"/> events, failing if they do not arrive within the timeout.</summary>
    public static async Task<List<StoreEvent>> ReadAsync(IStoreWatch watch, int count, TimeSpan? timeout = null, bool skipProgress = true)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        var events = new List<StoreEvent>();
        try
        {
            while (events.Count < count)
            {
                var e = await watch.Events.ReadAsync(cts.Token);
                if (skipProgress && e.Type == StoreEventType.Progress)
                {
                    continue;
                }

                events.Add(e);
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"expected {count} events, got {events.Count}: {string.Join(", ", events.Select(e => $"{e.Type} {e.Key}@{e.Revision}"))}");
        }

        return events;
    }
}
