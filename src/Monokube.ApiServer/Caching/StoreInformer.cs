using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.ApiServer.Serialization;
using Monokube.Storage;

namespace Monokube.ApiServer.Caching;

/// <summary>
/// An in-server cache of every object under a store prefix (RBAC objects, bootstrap-token secrets...), kept current
/// by a store watch and rebuilt from a fresh list when the watch expires. Readers get immutable snapshots. A
/// projection, when given, keeps only the parts of each object its readers look at (the node authorizer's pods).
/// </summary>
public sealed partial class StoreInformer : IAsyncDisposable
{
    private readonly IObjectStore _store;
    private readonly string _prefix;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _gate = new();
    private readonly Func<JsonObject, JsonObject>? _project;
    // A persistent map: each change costs O(log n) and every reader keeps a consistent snapshot.
    private ImmutableDictionary<string, JsonObject> _items = ImmutableDictionary.Create<string, JsonObject>(StringComparer.Ordinal);
    private long _revision;
    private Task? _loop;
    private IStoreWatch? _watch;

    public StoreInformer(IObjectStore store, string prefix, ILogger logger, Func<JsonObject, JsonObject>? project = null)
    {
        _project = project;
        _store = store;
        _prefix = prefix;
        _logger = logger;
    }

    /// <summary>Raised (on the informer's loop) after every change.</summary>
    public event Action? Changed;

    public IReadOnlyDictionary<string, JsonObject> Items => Volatile.Read(ref _items);

    /// <summary>The store revision the cache reflects.</summary>
    public long Revision => Interlocked.Read(ref _revision);

    public void Start() => _loop ??= Task.Run(RunAsync);

    /// <summary>Whether the cache has listed the store once (and so answers for every object there).</summary>
    public bool IsSynced => _synced.Task.IsCompleted;

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>Waits (briefly) until the cache has seen the store's current revision, so a decision reads its writes.</summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        await WaitForSyncAsync(cancellationToken);
        var target = await _store.GetCurrentRevisionAsync(cancellationToken);
        if (Revision >= target)
        {
            return;
        }

        // Changes elsewhere in the store also move the revision; a progress event says nothing here is pending.
        _watch?.RequestProgress();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        var delay = 1;
        while (Revision < target && DateTime.UtcNow < deadline)
        {
            await Task.Delay(delay, cancellationToken);
            delay = Math.Min(delay * 2, 50);
            if (delay == 8)
            {
                _watch?.RequestProgress();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            try
            {
                await _loop;
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                var after = await ListAsync();
                var started = await _store.WatchAsync(_prefix, after, _stop.Token);
                if (!started.IsOk)
                {
                    continue;
                }

                await using var watch = started.Watch!;
                _watch = watch;
                await foreach (var e in watch.Events.ReadAllAsync(_stop.Token))
                {
                    if (e.Type == StoreEventType.Expired)
                    {
                        break;
                    }

                    Apply(e);
                }
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                // Stopping: whatever the store said while the watch was torn down does not matter.
                return;
            }
            catch (Exception e) when (e is StoreUnavailableException or OperationCanceledException)
            {
                LogRetry(_logger, _prefix, e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task<long> ListAsync()
    {
        var list = await _store.ListAsync(new ListRequest(_prefix), _stop.Token);
        var items = ImmutableDictionary.CreateBuilder<string, JsonObject>(StringComparer.Ordinal);
        foreach (var item in list.Items)
        {
            if (JsonBodyParser.Parse(item.Value) is JsonObject obj)
            {
                items[item.Key] = _project is null ? obj : _project(obj);
            }
        }

        lock (_gate)
        {
            Volatile.Write(ref _items, items.ToImmutable());
            Interlocked.Exchange(ref _revision, list.Revision);
        }

        _synced.TrySetResult();
        Changed?.Invoke();
        return list.Revision;
    }

    private void Apply(StoreEvent e)
    {
        lock (_gate)
        {
            switch (e.Type)
            {
                case StoreEventType.Created or StoreEventType.Modified when JsonBodyParser.Parse(e.Value!) is JsonObject obj:
                    Volatile.Write(ref _items, _items.SetItem(e.Key, _project is null ? obj : _project(obj)));
                    break;
                case StoreEventType.Deleted:
                    Volatile.Write(ref _items, _items.Remove(e.Key));
                    break;
            }

            Interlocked.Exchange(ref _revision, Math.Max(_revision, e.Revision));
        }

        Changed?.Invoke();
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "cache of {Prefix} lost its watch ({Reason}); listing again")]
    private static partial void LogRetry(ILogger logger, string prefix, string reason);
}
