using System.Text;

namespace Monokube.Storage.Tests;

/// <summary>
/// One set of behaviours every <see cref="IObjectStore"/> must show, run against the memory store and a real etcd.
/// Each test works under its own key prefix.
/// </summary>
public abstract class ObjectStoreConformanceTests
{
    protected abstract IObjectStore Store { get; }

    protected string Prefix { get; } = $"/configmaps/t{Guid.NewGuid():N}/";

    private string Key(string name) => Prefix + name;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_then_get_returns_the_value_at_its_mod_revision()
    {
        var before = await Store.GetCurrentRevisionAsync(Token);
        var created = await Store.CreateAsync(Key("a"), Objects.ConfigMap("a"), Token);

        Assert.Equal(StoreStatus.Ok, created.Status);
        Assert.True(created.Revision > before);
        Assert.Equal(created.Revision, created.Object!.ModRevision);
        Assert.Equal(created.Revision, created.Object.CreateRevision);

        var read = await Store.GetAsync(Key("a"), Token);
        Assert.Equal(StoreStatus.Ok, read.Status);
        Assert.Equal(created.Revision, read.Object!.ModRevision);
        Assert.Equal(Objects.Text(Objects.ConfigMap("a")), Objects.Text(read.Object.Value));
        Assert.Equal(Key("a"), read.Object.Key);
        Assert.Equal(created.Revision, await Store.GetCurrentRevisionAsync(Token));
    }

    [Fact]
    public async Task Get_of_a_missing_key_is_not_found()
    {
        var read = await Store.GetAsync(Key("missing"), Token);
        Assert.Equal(StoreStatus.NotFound, read.Status);
        Assert.Null(read.Object);
    }

    [Fact]
    public async Task Create_of_an_existing_key_reports_already_exists_with_the_current_object()
    {
        var first = await Store.CreateAsync(Key("a"), Objects.ConfigMap("a", value: "first"), Token);
        var second = await Store.CreateAsync(Key("a"), Objects.ConfigMap("a", value: "second"), Token);

        Assert.Equal(StoreStatus.AlreadyExists, second.Status);
        Assert.Equal(first.Revision, second.Object!.ModRevision);
        Assert.Equal("first", Objects.Value(second.Object.Value));
        Assert.Equal("first", Objects.Value((await Store.GetAsync(Key("a"), Token)).Object!.Value));
    }

    [Fact]
    public async Task Update_with_the_current_revision_succeeds_and_a_stale_one_conflicts()
    {
        var created = await Store.CreateAsync(Key("a"), Objects.ConfigMap("a", value: "1"), Token);
        var updated = await Store.UpdateAsync(Key("a"), Objects.ConfigMap("a", value: "2"), new Preconditions(created.Revision), Token);

        Assert.Equal(StoreStatus.Ok, updated.Status);
        Assert.True(updated.Revision > created.Revision);
        Assert.Equal(updated.Revision, updated.Object!.ModRevision);
        Assert.Equal(created.Revision, updated.Object.CreateRevision);

        var stale = await Store.UpdateAsync(Key("a"), Objects.ConfigMap("a", value: "3"), new Preconditions(created.Revision), Token);
        Assert.Equal(StoreStatus.Conflict, stale.Status);
        Assert.Equal(updated.Revision, stale.Object!.ModRevision);
        Assert.Equal("2", Objects.Value(stale.Object.Value));

        var unconditional = await Store.UpdateAsync(Key("a"), Objects.ConfigMap("a", value: "4"), Preconditions.None, Token);
        Assert.Equal(StoreStatus.Ok, unconditional.Status);
        Assert.Equal("4", Objects.Value((await Store.GetAsync(Key("a"), Token)).Object!.Value));
    }

    [Fact]
    public async Task Update_of_a_missing_key_is_not_found()
    {
        Assert.Equal(StoreStatus.NotFound, (await Store.UpdateAsync(Key("missing"), Objects.ConfigMap("missing"), Preconditions.None, Token)).Status);
        Assert.Equal(StoreStatus.NotFound, (await Store.UpdateAsync(Key("missing"), Objects.ConfigMap("missing"), new Preconditions(5), Token)).Status);
        Assert.Equal(StoreStatus.NotFound, (await Store.GetAsync(Key("missing"), Token)).Status);
    }

    [Fact]
    public async Task Uid_precondition_guards_update_and_delete()
    {
        await Store.CreateAsync(Key("a"), Objects.ConfigMap("a", uid: "uid-a"), Token);

        var wrongUpdate = await Store.UpdateAsync(Key("a"), Objects.ConfigMap("a", uid: "uid-a", value: "x"), new Preconditions(Uid: "uid-other"), Token);
        Assert.Equal(StoreStatus.UidMismatch, wrongUpdate.Status);
        var wrongDelete = await Store.DeleteAsync(Key("a"), new Preconditions(Uid: "uid-other"), Token);
        Assert.Equal(StoreStatus.UidMismatch, wrongDelete.Status);
        Assert.Equal("v", Objects.Value((await Store.GetAsync(Key("a"), Token)).Object!.Value));

        var rightUpdate = await Store.UpdateAsync(Key("a"), Objects.ConfigMap("a", uid: "uid-a", value: "x"), new Preconditions(Uid: "uid-a"), Token);
        Assert.Equal(StoreStatus.Ok, rightUpdate.Status);

        var bothStale = await Store.DeleteAsync(Key("a"), new Preconditions(rightUpdate.Revision - 1, "uid-a"), Token);
        Assert.Equal(StoreStatus.Conflict, bothStale.Status);

        var rightDelete = await Store.DeleteAsync(Key("a"), new Preconditions(rightUpdate.Revision, "uid-a"), Token);
        Assert.Equal(StoreStatus.Ok, rightDelete.Status);
        Assert.Equal(StoreStatus.NotFound, (await Store.GetAsync(Key("a"), Token)).Status);
    }

    [Fact]
    public async Task Delete_returns_the_deleted_object_and_checks_the_revision()
    {
        var created = await Store.CreateAsync(Key("a"), Objects.ConfigMap("a", value: "last"), Token);
        var updated = await Store.UpdateAsync(Key("a"), Objects.ConfigMap("a", value: "final"), Preconditions.None, Token);

        var stale = await Store.DeleteAsync(Key("a"), new Preconditions(created.Revision), Token);
        Assert.Equal(StoreStatus.Conflict, stale.Status);
        Assert.Equal(updated.Revision, stale.Object!.ModRevision);

        var deleted = await Store.DeleteAsync(Key("a"), new Preconditions(updated.Revision), Token);
        Assert.Equal(StoreStatus.Ok, deleted.Status);
        Assert.True(deleted.Revision > updated.Revision);
        Assert.Equal("final", Objects.Value(deleted.Object!.Value));
        Assert.Equal(updated.Revision, deleted.Object.ModRevision);

        Assert.Equal(StoreStatus.NotFound, (await Store.GetAsync(Key("a"), Token)).Status);
        Assert.Equal(StoreStatus.NotFound, (await Store.DeleteAsync(Key("a"), Preconditions.None, Token)).Status);

        var recreated = await Store.CreateAsync(Key("a"), Objects.ConfigMap("a", value: "again"), Token);
        Assert.Equal(StoreStatus.Ok, recreated.Status);
        Assert.Equal(recreated.Revision, recreated.Object!.CreateRevision);
    }

    [Fact]
    public async Task Stored_values_drop_resourceVersion_and_selfLink()
    {
        var json = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"12","selfLink":"/api/v1/x","uid":"u"},"data":{"resourceVersion":"kept"}}""";
        var created = await Store.CreateAsync(Key("a"), Encoding.UTF8.GetBytes(json), Token);
        var expected = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","uid":"u"},"data":{"resourceVersion":"kept"}}""";

        Assert.Equal(expected, Objects.Text(created.Object!.Value));
        Assert.Equal(expected, Objects.Text((await Store.GetAsync(Key("a"), Token)).Object!.Value));
    }

    [Fact]
    public async Task List_returns_only_keys_under_the_prefix_in_key_order()
    {
        foreach (var name in new[] { "c", "a", "b" })
        {
            await Store.CreateAsync(Key(name), Objects.ConfigMap(name), Token);
        }

        await Store.CreateAsync(Prefix.TrimEnd('/') + "x/sibling", Objects.ConfigMap("sibling"), Token);
        await Store.CreateAsync(Key("sub/nested"), Objects.ConfigMap("nested"), Token);
        await Store.DeleteAsync(Key("b"), Preconditions.None, Token);

        var list = await Store.ListAsync(new ListRequest(Prefix), Token);
        Assert.Equal(StoreStatus.Ok, list.Status);
        Assert.Equal([Key("a"), Key("c"), Key("sub/nested")], list.Items.Select(i => i.Key));
        Assert.False(list.HasMore);
        Assert.Equal(await Store.GetCurrentRevisionAsync(Token), list.Revision);
    }

    [Fact]
    public async Task Paged_list_at_a_fixed_revision_is_stable_while_writes_continue()
    {
        for (var i = 0; i < 25; i++)
        {
            await Store.CreateAsync(Key($"item-{i:D2}"), Objects.ConfigMap($"item-{i:D2}", value: "original"), Token);
        }

        var first = await Store.ListAsync(new ListRequest(Prefix, Limit: 10), Token);
        Assert.Equal(10, first.Items.Count);
        Assert.True(first.HasMore);
        Assert.Equal(15, first.RemainingCount);

        // Writes after the first page: changes, deletions and additions on both sides of the page boundary.
        await Store.UpdateAsync(Key("item-15"), Objects.ConfigMap("item-15", value: "changed"), Preconditions.None, Token);
        await Store.DeleteAsync(Key("item-20"), Preconditions.None, Token);
        await Store.CreateAsync(Key("item-12a"), Objects.ConfigMap("item-12a"), Token);
        await Store.CreateAsync(Key("item-99"), Objects.ConfigMap("item-99"), Token);

        var items = first.Items.ToList();
        var page = first;
        while (page.HasMore)
        {
            page = await Store.ListAsync(new ListRequest(Prefix, first.Revision, 10, page.NextKey), Token);
            Assert.Equal(StoreStatus.Ok, page.Status);
            Assert.Equal(first.Revision, page.Revision);
            items.AddRange(page.Items);
        }

        Assert.Equal(Enumerable.Range(0, 25).Select(i => Key($"item-{i:D2}")), items.Select(i => i.Key));
        Assert.All(items, i => Assert.Equal("original", Objects.Value(i.Value)));

        var latest = await Store.ListAsync(new ListRequest(Prefix), Token);
        Assert.Equal(26, latest.Items.Count);
        Assert.Contains(latest.Items, i => i.Key == Key("item-15") && Objects.Value(i.Value) == "changed");
    }

    [Fact]
    public async Task List_at_an_old_revision_sees_the_old_values()
    {
        var created = await Store.CreateAsync(Key("a"), Objects.ConfigMap("a", value: "old"), Token);
        await Store.UpdateAsync(Key("a"), Objects.ConfigMap("a", value: "new"), Preconditions.None, Token);
        await Store.CreateAsync(Key("b"), Objects.ConfigMap("b"), Token);

        var old = await Store.ListAsync(new ListRequest(Prefix, created.Revision), Token);
        Assert.Equal(StoreStatus.Ok, old.Status);
        Assert.Equal(created.Revision, old.Revision);
        var item = Assert.Single(old.Items);
        Assert.Equal("old", Objects.Value(item.Value));
        Assert.Equal(created.Revision, item.ModRevision);
    }

    [Fact]
    public async Task List_at_a_future_revision_is_refused()
    {
        var current = await Store.GetCurrentRevisionAsync(Token);
        var list = await Store.ListAsync(new ListRequest(Prefix, current + 1000), Token);
        Assert.Equal(StoreStatus.FutureRevision, list.Status);
    }

    [Fact]
    public async Task Watch_replays_history_from_an_old_revision_then_streams_without_gaps_or_duplicates()
    {
        var start = await Store.GetCurrentRevisionAsync(Token);
        var written = new List<(StoreEventType Type, string Key, long Revision)>();
        var a = await Store.CreateAsync(Key("a"), Objects.ConfigMap("a", value: "1"), Token);
        written.Add((StoreEventType.Created, Key("a"), a.Revision));
        var a2 = await Store.UpdateAsync(Key("a"), Objects.ConfigMap("a", value: "2"), Preconditions.None, Token);
        written.Add((StoreEventType.Modified, Key("a"), a2.Revision));
        var b = await Store.CreateAsync(Key("b"), Objects.ConfigMap("b"), Token);
        written.Add((StoreEventType.Created, Key("b"), b.Revision));
        var a3 = await Store.DeleteAsync(Key("a"), Preconditions.None, Token);
        written.Add((StoreEventType.Deleted, Key("a"), a3.Revision));

        var started = await Store.WatchAsync(Prefix, start, Token);
        Assert.Equal(StoreStatus.Ok, started.Status);
        await using var watch = started.Watch!;

        var c = await Store.CreateAsync(Key("c"), Objects.ConfigMap("c"), Token);
        written.Add((StoreEventType.Created, Key("c"), c.Revision));
        var c2 = await Store.UpdateAsync(Key("c"), Objects.ConfigMap("c", value: "2"), Preconditions.None, Token);
        written.Add((StoreEventType.Modified, Key("c"), c2.Revision));

        var events = await WatchReader.ReadAsync(watch, written.Count);
        Assert.Equal(written, events.Select(e => (e.Type, e.Key, e.Revision)));

        Assert.Equal("2", Objects.Value(events[1].Value!));
        Assert.Equal("1", Objects.Value(events[1].PrevValue!));
        Assert.Null(events[0].PrevValue);
        Assert.Equal("2", Objects.Value(events[3].Value!));

        // Nothing else is queued: the next event is the next write.
        var sentinel = await Store.CreateAsync(Key("sentinel"), Objects.ConfigMap("sentinel"), Token);
        var next = Assert.Single(await WatchReader.ReadAsync(watch, 1));
        Assert.Equal((StoreEventType.Created, Key("sentinel"), sentinel.Revision), (next.Type, next.Key, next.Revision));
    }

    [Fact]
    public async Task Watch_from_zero_sees_only_later_changes()
    {
        await Store.CreateAsync(Key("before"), Objects.ConfigMap("before"), Token);
        var started = await Store.WatchAsync(Prefix, 0, Token);
        await using var watch = started.Watch!;
        var after = await Store.CreateAsync(Key("after"), Objects.ConfigMap("after"), Token);

        var e = Assert.Single(await WatchReader.ReadAsync(watch, 1));
        Assert.Equal((Key("after"), after.Revision), (e.Key, e.Revision));
    }

    [Fact]
    public async Task A_filtered_watch_gets_only_the_changes_its_filter_accepts_in_replay_and_live()
    {
        var start = await Store.GetCurrentRevisionAsync(Token);
        await Store.CreateAsync(Key("skip-1"), Objects.ConfigMap("skip-1"), Token);
        var kept = await Store.CreateAsync(Key("keep-1"), Objects.ConfigMap("keep-1"), Token);

        var started = await Store.WatchAsync(Prefix, start, e => e.Key.Contains("/keep-", StringComparison.Ordinal), Token);
        Assert.Equal(StoreStatus.Ok, started.Status);
        await using var watch = started.Watch!;
        await Store.CreateAsync(Key("skip-2"), Objects.ConfigMap("skip-2"), Token);
        var keptLive = await Store.UpdateAsync(Key("keep-1"), Objects.ConfigMap("keep-1", value: "2"), Preconditions.None, Token);

        var events = await WatchReader.ReadAsync(watch, 2);
        Assert.Equal([(Key("keep-1"), kept.Revision), (Key("keep-1"), keptLive.Revision)], events.Select(e => (e.Key, e.Revision)));

        // Progress still comes, at a revision past the filtered-out changes.
        var skipped = await Store.CreateAsync(Key("skip-3"), Objects.ConfigMap("skip-3"), Token);
        watch.RequestProgress();
        var progress = (await WatchReader.ReadAsync(watch, 1, skipProgress: false)).Single();
        Assert.Equal(StoreEventType.Progress, progress.Type);
        Assert.True(progress.Revision >= skipped.Revision, $"progress at {progress.Revision}, before {skipped.Revision}");
    }

    [Fact]
    public async Task Watch_sees_only_its_prefix()
    {
        var started = await Store.WatchAsync(Prefix + "in/", 0, Token);
        await using var watch = started.Watch!;
        await Store.CreateAsync(Prefix + "inx", Objects.ConfigMap("inx"), Token);
        await Store.CreateAsync(Prefix + "other/a", Objects.ConfigMap("a"), Token);
        var inside = await Store.CreateAsync(Prefix + "in/a", Objects.ConfigMap("a"), Token);

        var e = Assert.Single(await WatchReader.ReadAsync(watch, 1));
        Assert.Equal((Prefix + "in/a", inside.Revision), (e.Key, e.Revision));
    }

    [Fact]
    public async Task Compaction_expires_old_lists_and_watches()
    {
        var r1 = (await Store.CreateAsync(Key("a"), Objects.ConfigMap("a", value: "1"), Token)).Revision;
        var r2 = (await Store.UpdateAsync(Key("a"), Objects.ConfigMap("a", value: "2"), Preconditions.None, Token)).Revision;
        var r3 = (await Store.UpdateAsync(Key("a"), Objects.ConfigMap("a", value: "3"), Preconditions.None, Token)).Revision;

        Assert.Equal(StoreStatus.Ok, (await Store.CompactAsync(r3, Token)).Status);

        Assert.Equal(StoreStatus.Expired, (await Store.ListAsync(new ListRequest(Prefix, r1), Token)).Status);
        Assert.Equal(StoreStatus.Expired, (await Store.WatchAsync(Prefix, r1, Token)).Status);
        Assert.Equal(StoreStatus.Expired, (await Store.CompactAsync(r3, Token)).Status);
        Assert.Equal(StoreStatus.FutureRevision, (await Store.CompactAsync(r3 + 1000, Token)).Status);

        var atCompaction = await Store.ListAsync(new ListRequest(Prefix, r3), Token);
        Assert.Equal("3", Objects.Value(Assert.Single(atCompaction.Items).Value));

        // A watch from just before the compacted revision still gets the event at it.
        var started = await Store.WatchAsync(Prefix, r2, Token);
        Assert.Equal(StoreStatus.Ok, started.Status);
        await using var watch = started.Watch!;
        var e = Assert.Single(await WatchReader.ReadAsync(watch, 1));
        Assert.Equal((StoreEventType.Modified, r3), (e.Type, e.Revision));
    }

    [Fact]
    public async Task Concurrent_read_modify_write_loses_no_update()
    {
        const int Writers = 16;
        const int IncrementsEach = 25;
        await Store.CreateAsync(Key("counter"), Objects.ConfigMap("counter"), Token);

        var conflicts = 0;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            for (var i = 0; i < IncrementsEach; i++)
            {
                while (true)
                {
                    var current = (await Store.GetAsync(Key("counter"), Token)).Object!;
                    var next = Objects.ConfigMap("counter", counter: Objects.Counter(current.Value) + 1);
                    var result = await Store.UpdateAsync(Key("counter"), next, new Preconditions(current.ModRevision), Token);
                    if (result.Status == StoreStatus.Ok)
                    {
                        break;
                    }

                    Assert.Equal(StoreStatus.Conflict, result.Status);
                    Interlocked.Increment(ref conflicts);
                }
            }
        }, Token)));

        var final = (await Store.GetAsync(Key("counter"), Token)).Object!;
        Assert.Equal(Writers * IncrementsEach, Objects.Counter(final.Value));
    }

    [Fact]
    public async Task One_MiB_values_round_trip_through_every_operation()
    {
        var big = new string('x', 1024 * 1024);
        var started = await Store.WatchAsync(Prefix, 0, Token);
        await using var watch = started.Watch!;

        var created = await Store.CreateAsync(Key("big"), Objects.ConfigMap("big", value: big), Token);
        Assert.Equal(StoreStatus.Ok, created.Status);
        var updated = await Store.UpdateAsync(Key("big"), Objects.ConfigMap("big", value: big + "y"), new Preconditions(created.Revision), Token);
        Assert.Equal(StoreStatus.Ok, updated.Status);

        Assert.Equal(big + "y", Objects.Value((await Store.GetAsync(Key("big"), Token)).Object!.Value));
        Assert.Equal(big + "y", Objects.Value(Assert.Single((await Store.ListAsync(new ListRequest(Prefix), Token)).Items).Value));

        var events = await WatchReader.ReadAsync(watch, 2);
        Assert.Equal(big, Objects.Value(events[0].Value!));
        Assert.Equal(big + "y", Objects.Value(events[1].Value!));
    }

    [Fact]
    public async Task Values_over_the_limit_are_refused_and_nothing_is_written()
    {
        var tooBig = Objects.ConfigMap("huge", value: new string('x', StoreLimits.DefaultMaxValueBytes));
        Assert.Equal(StoreStatus.TooLarge, (await Store.CreateAsync(Key("huge"), tooBig, Token)).Status);
        Assert.Equal(StoreStatus.NotFound, (await Store.GetAsync(Key("huge"), Token)).Status);
    }

    [Fact]
    public async Task Invalid_values_are_refused_before_they_reach_storage()
    {
        await Assert.ThrowsAsync<ArgumentException>(async () => await Store.CreateAsync(Key("bad"), Encoding.UTF8.GetBytes("{\"a\":"), Token));
        await Assert.ThrowsAsync<ArgumentException>(async () => await Store.CreateAsync(Key("bad"), Encoding.UTF8.GetBytes("[1,2]"), Token));
        Assert.Equal(StoreStatus.NotFound, (await Store.GetAsync(Key("bad"), Token)).Status);
    }
}
