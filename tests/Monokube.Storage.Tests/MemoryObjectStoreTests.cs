using Monokube.Storage.Memory;

namespace Monokube.Storage.Tests;

/// <summary>What only the memory store has: its bounded history window and slow-watcher limit.</summary>
public sealed class MemoryObjectStoreTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task History_beyond_the_window_is_compacted_automatically()
    {
        await using var store = new MemoryObjectStore(new MemoryStoreOptions { HistoryLimit = 10 });
        var first = await store.CreateAsync("/configmaps/default/a", Objects.ConfigMap("a"), Token);
        for (var i = 0; i < 30; i++)
        {
            await store.UpdateAsync("/configmaps/default/a", Objects.ConfigMap("a", counter: i), Preconditions.None, Token);
        }

        var current = await store.GetCurrentRevisionAsync(Token);
        Assert.Equal(StoreStatus.Expired, (await store.WatchAsync("/configmaps/", first.Revision, Token)).Status);
        Assert.Equal(StoreStatus.Expired, (await store.ListAsync(new ListRequest("/configmaps/", first.Revision), Token)).Status);

        // The last HistoryLimit revisions are always kept.
        var recent = await store.WatchAsync("/configmaps/", current - 10, Token);
        Assert.Equal(StoreStatus.Ok, recent.Status);
        await using var watch = recent.Watch!;
        var events = await WatchReader.ReadAsync(watch, 10);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => current - 9 + i), events.Select(e => e.Revision));
    }

    [Fact]
    public async Task Deleted_keys_disappear_from_memory_after_compaction()
    {
        await using var store = new MemoryObjectStore();
        await store.CreateAsync("/configmaps/default/a", Objects.ConfigMap("a"), Token);
        var deleted = await store.DeleteAsync("/configmaps/default/a", Preconditions.None, Token);
        await store.CreateAsync("/configmaps/default/b", Objects.ConfigMap("b"), Token);
        await store.CompactAsync(deleted.Revision + 1, Token);

        var list = await store.ListAsync(new ListRequest("/configmaps/"), Token);
        Assert.Equal(["/configmaps/default/b"], list.Items.Select(i => i.Key));
        var recreated = await store.CreateAsync("/configmaps/default/a", Objects.ConfigMap("a"), Token);
        Assert.Equal(StoreStatus.Ok, recreated.Status);
    }

    [Fact]
    public async Task A_watcher_that_falls_behind_is_ended_with_an_expired_event()
    {
        await using var store = new MemoryObjectStore(new MemoryStoreOptions { WatchBacklogLimit = 5 });
        var started = await store.WatchAsync("/configmaps/", 0, Token);
        await using var watch = started.Watch!;
        for (var i = 0; i < 8; i++)
        {
            await store.CreateAsync($"/configmaps/default/x{i}", Objects.ConfigMap($"x{i}"), Token);
        }

        var events = new List<StoreEvent>();
        await foreach (var e in watch.Events.ReadAllAsync(Token))
        {
            events.Add(e);
        }

        Assert.Equal(6, events.Count);
        Assert.Equal(StoreEventType.Expired, events[^1].Type);
        Assert.All(events.Take(5), e => Assert.Equal(StoreEventType.Created, e.Type));
    }
}
