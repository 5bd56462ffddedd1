using System.Threading.Channels;
using Etcdserverpb;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Mvccpb;

namespace Monokube.Storage.Etcd;

/// <summary>
/// One etcd watch over a key prefix. When the stream breaks (member restarted, connection lost) it re-creates the
/// watch from the revision after the last one it delivered, so events continue without a gap or a duplicate; if
/// that history was compacted meanwhile, it ends with an expired event.
/// </summary>
internal sealed partial class EtcdWatch : IStoreWatch
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    private readonly EtcdObjectStore _store;
    private readonly string _prefix;
    private readonly Channel<StoreEvent> _channel = Channel.CreateUnbounded<StoreEvent>();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private AsyncDuplexStreamingCall<WatchRequest, WatchResponse>? _call;
    private Task? _pump;
    private long _lastRevision;

    private readonly Func<StoreEvent, bool>? _filter;

    public EtcdWatch(EtcdObjectStore store, string prefix, long afterRevision, Func<StoreEvent, bool>? filter)
    {
        _store = store;
        _filter = filter;
        _prefix = prefix;
        _lastRevision = afterRevision;
    }

    public ChannelReader<StoreEvent> Events => _channel.Reader;

    /// <summary>etcd answers a progress request, after the events it has sent, with the watch's current revision.</summary>
    public void RequestProgress()
    {
        var call = _call;
        if (call is null)
        {
            return;
        }

        _ = SendProgressRequestAsync(call);
    }

    private async Task SendProgressRequestAsync(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call)
    {
        await _sendLock.WaitAsync();
        try
        {
            await call.RequestStream.WriteAsync(new WatchRequest { ProgressRequest = new WatchProgressRequest() });
        }
        catch (Exception e) when (e is RpcException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
        {
            // The stream is being replaced; the reconnect logic takes care of it and a later request will go through.
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        _call = await OpenAsync(linked.Token);
        _pump = Task.Run(PumpAsync);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _call?.Dispose();
        if (_pump is not null)
        {
            await _pump.ConfigureAwait(false);
        }

        _channel.Writer.TryComplete();
        _stop.Dispose();
    }

    private async Task<AsyncDuplexStreamingCall<WatchRequest, WatchResponse>> OpenAsync(CancellationToken cancellationToken)
    {
        var client = _store.CreateWatchClient();
        var call = client.Watch(new CallOptions(cancellationToken: _stop.Token).WithWaitForReady());
        var create = new WatchCreateRequest
        {
            Key = _store.ToEtcdKey(_prefix),
            RangeEnd = _store.ToEtcdKey(KeyRange.PrefixEnd(_prefix)),
            StartRevision = _lastRevision + 1,
            PrevKv = true,
            ProgressNotify = true,
        };

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_store.Options.RequestTimeout);
            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = create }, timeout.Token);
            if (!await call.ResponseStream.MoveNext(timeout.Token) || !call.ResponseStream.Current.Created)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "etcd did not confirm the watch"));
            }

            return call;
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException && !_stop.IsCancellationRequested)
        {
            call.Dispose();
            if (cancellationToken.IsCancellationRequested)
            {
                // The caller gave up (gRPC reports that as a cancelled call): say so as .NET does.
                throw new OperationCanceledException("the watch was cancelled while it opened", e, cancellationToken);
            }

            throw new StoreUnavailableException("etcd did not accept the watch: " + e.Message, e);
        }
    }

    private async Task PumpAsync()
    {
        var backoff = TimeSpan.FromMilliseconds(100);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                _call ??= await OpenAsync(_stop.Token);
                backoff = TimeSpan.FromMilliseconds(100);
                while (await _call.ResponseStream.MoveNext(_stop.Token))
                {
                    if (!Deliver(_call.ResponseStream.Current))
                    {
                        _channel.Writer.TryComplete();
                        return;
                    }
                }

                LogStreamEnded(_store.Logger, _prefix, _lastRevision);
            }
            catch (Exception e) when (!_stop.IsCancellationRequested && e is RpcException or StoreUnavailableException or IOException or OperationCanceledException)
            {
                LogStreamBroken(_store.Logger, _prefix, _lastRevision, e.Message);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (RpcException) when (_stop.IsCancellationRequested)
            {
                break;
            }
            catch (ObjectDisposedException) when (_stop.IsCancellationRequested)
            {
                // Disposed while reading: the call was torn down under the read.
                break;
            }

            _call?.Dispose();
            _call = null;
            try
            {
                await Task.Delay(backoff, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
        }

        _channel.Writer.TryComplete();
    }

    // Returns false when the watch has ended for good.
    private bool Deliver(WatchResponse response)
    {
        if (response.CompactRevision != 0)
        {
            _channel.Writer.TryWrite(StoreEvent.Expired(response.CompactRevision, $"etcd compacted revision {response.CompactRevision}, after {_lastRevision}"));
            return false;
        }

        if (response.Canceled)
        {
            _channel.Writer.TryWrite(StoreEvent.Expired(_lastRevision, "etcd cancelled the watch: " + response.CancelReason));
            return false;
        }

        if (_channel.Reader.Count >= _store.Options.WatchBacklogLimit)
        {
            _channel.Writer.TryWrite(StoreEvent.Expired(_lastRevision, "the watcher fell behind by more than " + _store.Options.WatchBacklogLimit + " events"));
            return false;
        }

        if (response.Events.Count == 0)
        {
            if (!response.Created && response.Header.Revision >= _lastRevision)
            {
                _lastRevision = response.Header.Revision;
                _channel.Writer.TryWrite(StoreEvent.Progress(_lastRevision));
            }

            return true;
        }

        foreach (var e in response.Events)
        {
            var kv = e.Kv;
            if (kv.ModRevision <= _lastRevision)
            {
                continue;
            }

            var key = _store.FromEtcdKey(kv.Key);
            var previous = e.PrevKv is { } prev ? prev.Value.ToByteArray() : null;
            var storeEvent = e.Type switch
            {
                Event.Types.EventType.Delete => new StoreEvent(StoreEventType.Deleted, key, previous, previous, kv.ModRevision),
                _ when kv.CreateRevision == kv.ModRevision => new StoreEvent(StoreEventType.Created, key, kv.Value.ToByteArray(), null, kv.ModRevision),
                _ => new StoreEvent(StoreEventType.Modified, key, kv.Value.ToByteArray(), previous, kv.ModRevision),
            };
            if (_filter is null || _filter(storeEvent))
            {
                _channel.Writer.TryWrite(storeEvent);
            }

            _lastRevision = kv.ModRevision;
        }

        return true;
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "etcd watch on {Prefix} ended at revision {Revision}; re-creating it")]
    private static partial void LogStreamEnded(ILogger logger, string prefix, long revision);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "etcd watch on {Prefix} broke after revision {Revision}: {Reason}; re-creating it")]
    private static partial void LogStreamBroken(ILogger logger, string prefix, long revision, string reason);
}
