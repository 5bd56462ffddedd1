using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Monokube.Controllers.Client;

namespace Monokube.Controllers.Informers;

/// <summary>
/// A cache of one resource kept current by list and watch through the API, as client-go's informers: it lists,
/// watches from the list's resourceVersion (with bookmarks), resumes after a closed watch from the last version
/// seen, and lists again when that version is gone (410). Subscribers hear every change, in order; one that
/// subscribes after the first list first hears every object it holds as added, as client-go's handlers do.
/// Objects are kept without their managedFields (<see cref="TrimmedCopy"/>).
/// </summary>
public sealed partial class Informer : IAsyncDisposable
{
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    private readonly KubeClient _client;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    // Held while the cache changes and subscribers hear of it, and while a late subscriber hears what is there.
    private readonly Lock _delivery = new();
    private readonly TrimmedCopy _trim = new();
    private ImmutableDictionary<string, JsonObject> _items = ImmutableDictionary.Create<string, JsonObject>(StringComparer.Ordinal);
    private ImmutableList<Action<InformerEvent>> _subscribers = [];
    private Task? _loop;

    public Informer(KubeClient client, ResourceRef resource, TimeProvider time, ILogger logger, string? fieldSelector = null)
    {
        _client = client;
        Resource = resource;
        FieldSelector = fieldSelector;
        _time = time;
        _logger = logger;
    }

    public ResourceRef Resource { get; }

    public string? FieldSelector { get; }

    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>Every object, by key ("namespace/name", or "name" when cluster-scoped).</summary>
    public IReadOnlyDictionary<string, JsonObject> Items => Volatile.Read(ref _items);

    public static string KeyOf(JsonObject obj)
    {
        var meta = obj["metadata"];
        var ns = meta?["namespace"]?.ToString();
        var name = meta?["name"]?.ToString() ?? "";
        return string.IsNullOrEmpty(ns) ? name : ns + "/" + name;
    }

    public JsonObject? Get(string key) => Items.TryGetValue(key, out var obj) ? obj : null;

    public JsonObject? Get(string? ns, string name) => Get(string.IsNullOrEmpty(ns) ? name : ns + "/" + name);

    /// <summary>
    /// A copy of a cached object that shares nothing with the cache, for a reader that reads much of an object once
    /// (the scheduler placing a pod): reading the cached object itself would materialize its JSON nodes, and the
    /// cache would keep them for as long as it keeps the object.
    /// </summary>
    public JsonObject? Copy(string key) =>
        Get(key) is { } obj ? (JsonObject)JsonNode.Parse(obj.ToJsonString())! : null;

    /// <summary>
    /// Hears every change from now on (events are delivered on the informer's loop: keep handlers short), after
    /// every object already listed as added. Disposing the result stops it hearing.
    /// </summary>
    public IDisposable Subscribe(Action<InformerEvent> handler)
    {
        lock (_delivery)
        {
            _subscribers = _subscribers.Add(handler);
            if (HasSynced)
            {
                foreach (var (key, obj) in Items)
                {
                    Deliver(handler, new InformerEvent(InformerEventType.Added, key, obj, null));
                }
            }
        }

        return new InformerSubscription(() => Unsubscribe(handler));
    }

    private void Unsubscribe(Action<InformerEvent> handler)
    {
        lock (_delivery)
        {
            _subscribers = _subscribers.Remove(handler);
        }
    }

    public void Start() => _loop ??= Task.Run(() => RunAsync(_stop.Token));

    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

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

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var backoff = MinBackoff;
        string? version = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                version ??= await ListAsync(cancellationToken);
                var timeout = TimeSpan.FromSeconds(300 + Random.Shared.Next(300));
                await foreach (var e in _client.WatchAsync(Resource, null, version, timeout, cancellationToken, fieldSelector: FieldSelector))
                {
                    version = e.Object["metadata"]?["resourceVersion"]?.ToString() ?? version;
                    Apply(e);
                    backoff = MinBackoff;
                }
            }
            catch (KubeApiException e) when (e.IsGone)
            {
                LogRelist(_logger, Resource.ToString(), e.StatusMessage);
                version = null;
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or IOException or System.Text.Json.JsonException && cancellationToken.IsCancellationRequested)
            {
                // Stopping: a watch cut off by the stop (or by the server going away meanwhile) is no failure.
                return;
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or IOException or System.Text.Json.JsonException)
            {
                LogWatchFailed(_logger, Resource.ToString(), e.Message);
                await Task.Delay(backoff, _time, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    // Lists and replaces the cache, telling subscribers what changed since the last state they heard.
    private async Task<string> ListAsync(CancellationToken cancellationToken)
    {
        var list = await _client.ListAsync(Resource, null, cancellationToken, fieldSelector: FieldSelector);
        var fresh = ImmutableDictionary.CreateBuilder<string, JsonObject>(StringComparer.Ordinal);
        var heard = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var item in (list["items"] as JsonArray ?? []).OfType<JsonObject>())
        {
            // List items carry no kind; give them their list's, as client-go's decoding does.
            item["apiVersion"] ??= Resource.ApiVersion;
            var key = KeyOf(item);
            heard[key] = item;
            fresh[key] = _trim.Of(item);
        }

        var next = fresh.ToImmutable();
        lock (_delivery)
        {
            Replace(next, heard);
            _synced.TrySetResult();
        }

        return list["metadata"]?["resourceVersion"]?.ToString() ?? "0";
    }

    // Swaps in a fresh list, telling subscribers what changed since the state they last heard (with the objects
    // as listed, in heard, so that the trimmed copies the cache keeps stay untouched).
    private void Replace(ImmutableDictionary<string, JsonObject> next, Dictionary<string, JsonObject> heard)
    {
        var old = Items;
        Volatile.Write(ref _items, next);
        foreach (var (key, obj) in heard)
        {
            if (!old.TryGetValue(key, out var previous))
            {
                Notify(new InformerEvent(InformerEventType.Added, key, obj, null));
            }
            else if (Version(previous) != Version(obj))
            {
                Notify(new InformerEvent(InformerEventType.Updated, key, obj, previous));
            }
        }

        foreach (var (key, obj) in old)
        {
            if (!next.ContainsKey(key))
            {
                Notify(new InformerEvent(InformerEventType.Deleted, key, obj, obj));
            }
        }
    }

    private void Apply(WatchEvent e)
    {
        if (e.Type == "BOOKMARK")
        {
            return;
        }

        // Subscribers hear the object as it came and the cache keeps a trimmed copy, untouched: a JSON node
        // materializes (and keeps) every part of it that is read, and handlers read most of an object once, then
        // rarely again.
        var heard = e.Object;
        var kept = e.Type == "DELETED" ? heard : _trim.Of(heard);
        var key = KeyOf(heard);
        lock (_delivery)
        {
            var old = Items.GetValueOrDefault(key);
            switch (e.Type)
            {
                case "ADDED" or "MODIFIED":
                    Volatile.Write(ref _items, _items.SetItem(key, kept));
                    Notify(new InformerEvent(old is null ? InformerEventType.Added : InformerEventType.Updated, key, heard, old));
                    break;
                case "DELETED":
                    Volatile.Write(ref _items, _items.Remove(key));
                    Notify(new InformerEvent(InformerEventType.Deleted, key, heard, old));
                    break;
            }
        }
    }

    private void Notify(InformerEvent e)
    {
        foreach (var subscriber in _subscribers)
        {
            Deliver(subscriber, e);
        }
    }

    private void Deliver(Action<InformerEvent> subscriber, InformerEvent e)
    {
        try
        {
            subscriber(e);
        }
        catch (Exception ex)
        {
            LogHandlerFailed(_logger, Resource.ToString(), ex);
        }
    }

    private static string? Version(JsonObject obj) => obj["metadata"]?["resourceVersion"]?.ToString();

    [LoggerMessage(EventId = 7001, Level = LogLevel.Debug, Message = "{Resource}: the watched version is gone ({Reason}); listing again")]
    private static partial void LogRelist(ILogger logger, string resource, string reason);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Warning, Message = "{Resource}: list/watch failed: {Reason}")]
    private static partial void LogWatchFailed(ILogger logger, string resource, string reason);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Error, Message = "{Resource}: an event handler failed")]
    private static partial void LogHandlerFailed(ILogger logger, string resource, Exception exception);
}
