using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Mvccpb;

namespace Monokube.Storage.Etcd;

/// <summary>
/// The production store: etcd v3 in kube-apiserver's layout. Keys are the store prefix plus the object path
/// ("/registry" + "/pods/default/x"), values are the stored JSON, resourceVersion is the key's mod_revision, creates
/// and conditional writes are single transactions comparing mod_revision.
/// </summary>
public sealed partial class EtcdObjectStore : IObjectStore
{
    private readonly EtcdOptions _options;
    private readonly GrpcChannel _channel;
    private readonly KV.KVClient _kv;
    private readonly ILogger _logger;
    private readonly string _prefix;

    public EtcdObjectStore(EtcdOptions options, ILoggerFactory? loggerFactory = null)
    {
        _options = options;
        _prefix = options.Prefix.TrimEnd('/');
        _channel = EtcdChannelFactory.Create(options);
        _kv = new KV.KVClient(_channel);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<EtcdObjectStore>();
    }

    public string Name => "etcd";

    internal Watch.WatchClient CreateWatchClient() => new(_channel);

    internal EtcdOptions Options => _options;

    internal ILogger Logger => _logger;

    public async ValueTask<StoreResult> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        KeyRange.ValidateKey(key);
        var response = await CallAsync(o => _kv.RangeAsync(new RangeRequest { Key = ToEtcdKey(key) }, o), cancellationToken);
        return response.Kvs.Count == 0
            ? StoreResult.Failed(StoreStatus.NotFound, null, response.Header.Revision)
            : StoreResult.Ok(ToStoredObject(response.Kvs[0]), response.Header.Revision);
    }

    public async ValueTask<ListResult> ListAsync(ListRequest request, CancellationToken cancellationToken = default)
    {
        KeyRange.ValidateKey(request.Prefix);
        var start = request.StartKey ?? request.Prefix;
        if (!start.StartsWith(request.Prefix, StringComparison.Ordinal))
        {
            throw new ArgumentException("the start key of a list must lie under its prefix", nameof(request));
        }

        var range = new RangeRequest
        {
            Key = ToEtcdKey(start),
            RangeEnd = ToEtcdKey(KeyRange.PrefixEnd(request.Prefix)),
            Revision = request.Revision,
            Limit = request.Limit,
        };

        RangeResponse response;
        try
        {
            response = await CallAsync(o => _kv.RangeAsync(range, o), cancellationToken);
        }
        catch (RpcException e) when (TryMapRevisionError(e, out var status))
        {
            return ListResult.Failed(status, 0);
        }

        var items = new StoredObject[response.Kvs.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = ToStoredObject(response.Kvs[i]);
        }

        var revision = request.Revision == 0 ? response.Header.Revision : request.Revision;
        return new ListResult(StoreStatus.Ok, items, revision, response.More, Math.Max(0, response.Count - items.Length));
    }

    public async ValueTask<StoreResult> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        KeyRange.ValidateKey(key);
        if (value.Length > _options.MaxValueBytes)
        {
            return StoreResult.Failed(StoreStatus.TooLarge, null, 0);
        }

        var etcdKey = ToEtcdKey(key);
        var stored = StoredValueFormat.ToStored(value.Span);
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = etcdKey, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = 0 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = etcdKey, Value = UnsafeByteOperations.UnsafeWrap(stored) } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = etcdKey } } },
        };

        var response = await CallAsync(o => _kv.TxnAsync(txn, o), cancellationToken);
        var revision = response.Header.Revision;
        if (response.Succeeded)
        {
            return StoreResult.Ok(new StoredObject(key, stored, revision, revision), revision);
        }

        var existing = response.Responses[0].ResponseRange.Kvs;
        return StoreResult.Failed(StoreStatus.AlreadyExists, existing.Count > 0 ? ToStoredObject(existing[0]) : null, revision);
    }

    public ValueTask<StoreResult> UpdateAsync(string key, ReadOnlyMemory<byte> value, Preconditions preconditions, CancellationToken cancellationToken = default)
    {
        KeyRange.ValidateKey(key);
        if (value.Length > _options.MaxValueBytes)
        {
            return ValueTask.FromResult(StoreResult.Failed(StoreStatus.TooLarge, null, 0));
        }

        var etcdKey = ToEtcdKey(key);
        var stored = StoredValueFormat.ToStored(value.Span);
        var put = new RequestOp { RequestPut = new PutRequest { Key = etcdKey, Value = UnsafeByteOperations.UnsafeWrap(stored) } };
        return ConditionalWriteAsync(key, put, preconditions, (response, current) =>
        {
            var revision = response.Header.Revision;
            return StoreResult.Ok(new StoredObject(key, stored, revision, current?.CreateRevision ?? 0), revision);
        }, cancellationToken);
    }

    public ValueTask<StoreResult> DeleteAsync(string key, Preconditions preconditions, CancellationToken cancellationToken = default)
    {
        KeyRange.ValidateKey(key);
        var delete = new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = ToEtcdKey(key), PrevKv = true } };
        return ConditionalWriteAsync(key, delete, preconditions, (response, current) =>
        {
            var deleted = response.Responses[0].ResponseDeleteRange.PrevKvs;
            return StoreResult.Ok(deleted.Count > 0 ? ToStoredObject(deleted[0]) : current, response.Header.Revision);
        }, cancellationToken);
    }

    public async ValueTask<long> GetCurrentRevisionAsync(CancellationToken cancellationToken = default)
    {
        var response = await CallAsync(o => _kv.RangeAsync(new RangeRequest { Key = ToEtcdKey("/"), CountOnly = true }, o), cancellationToken);
        return response.Header.Revision;
    }

    public async ValueTask CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        await GetCurrentRevisionAsync(cancellationToken);
    }

    public async ValueTask<StoreResult> CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        try
        {
            var response = await CallAsync(o => _kv.CompactAsync(new CompactionRequest { Revision = revision }, o), cancellationToken);
            return StoreResult.Ok(null, response.Header.Revision);
        }
        catch (RpcException e) when (TryMapRevisionError(e, out var status))
        {
            return StoreResult.Failed(status, null, 0);
        }
    }

    public ValueTask DisposeAsync()
    {
        _channel.Dispose();
        return ValueTask.CompletedTask;
    }

    internal ByteString ToEtcdKey(string key) => ByteString.CopyFromUtf8(_prefix + key);

    internal StoredObject ToStoredObject(KeyValue kv) =>
        new(FromEtcdKey(kv.Key), kv.Value.ToByteArray(), kv.ModRevision, kv.CreateRevision);

    internal string FromEtcdKey(ByteString key) => key.ToStringUtf8()[_prefix.Length..];

    // A write guarded by the preconditions. Without a uid precondition it is one transaction; with one, the current
    // object is read, its uid checked, and the write made conditional on the revision that was read (retried if the
    // object changed in between and the caller did not pin a revision).
    private async ValueTask<StoreResult> ConditionalWriteAsync(
        string key, RequestOp write, Preconditions preconditions, Func<TxnResponse, StoredObject?, StoreResult> onSuccess, CancellationToken cancellationToken)
    {
        var etcdKey = ToEtcdKey(key);
        while (true)
        {
            StoredObject? current = null;
            var expected = preconditions.Revision;
            if (preconditions.Uid is not null)
            {
                var read = await GetAsync(key, cancellationToken);
                if (!read.IsOk)
                {
                    return read;
                }

                current = read.Object!;
                if (StoredValueFormat.ReadUid(current.Value) != preconditions.Uid)
                {
                    return StoreResult.Failed(StoreStatus.UidMismatch, current, read.Revision);
                }

                if (expected != 0 && expected != current.ModRevision)
                {
                    return StoreResult.Failed(StoreStatus.Conflict, current, read.Revision);
                }

                expected = current.ModRevision;
            }

            var compare = expected != 0
                ? new Compare { Key = etcdKey, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = expected }
                : new Compare { Key = etcdKey, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Greater, ModRevision = 0 };
            var txn = new TxnRequest
            {
                Compare = { compare },
                Success = { write, new RequestOp { RequestRange = new RangeRequest { Key = etcdKey, Limit = 1, KeysOnly = true } } },
                Failure = { new RequestOp { RequestRange = new RangeRequest { Key = etcdKey } } },
            };

            var response = await CallAsync(o => _kv.TxnAsync(txn, o), cancellationToken);
            if (response.Succeeded)
            {
                current ??= CurrentFromSuccess(key, response);
                return onSuccess(response, current);
            }

            var kvs = response.Responses[0].ResponseRange.Kvs;
            if (kvs.Count == 0)
            {
                return StoreResult.Failed(StoreStatus.NotFound, null, response.Header.Revision);
            }

            var now = ToStoredObject(kvs[0]);
            if (preconditions.Revision != 0 || preconditions.Uid is null)
            {
                return StoreResult.Failed(StoreStatus.Conflict, now, response.Header.Revision);
            }
        }
    }

    // After a successful put the trailing keys-only range reports the key's create revision.
    private static StoredObject? CurrentFromSuccess(string key, TxnResponse response)
    {
        var range = response.Responses[1].ResponseRange;
        return range.Kvs.Count == 0 ? null : new StoredObject(key, [], range.Kvs[0].ModRevision, range.Kvs[0].CreateRevision);
    }

    internal async Task<T> CallAsync<T>(Func<CallOptions, AsyncUnaryCall<T>> call, CancellationToken cancellationToken)
    {
        var options = new CallOptions(deadline: DateTime.UtcNow + _options.RequestTimeout, cancellationToken: cancellationToken).WithWaitForReady();
        try
        {
            return await call(options);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Unknown
            || (e.StatusCode == StatusCode.Cancelled && !cancellationToken.IsCancellationRequested))
        {
            throw new StoreUnavailableException($"etcd ({string.Join(",", _options.Endpoints)}) did not answer: {e.Status.Detail}", e);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled)
        {
            throw new OperationCanceledException("the etcd request was cancelled", e, cancellationToken);
        }
    }

    internal static bool TryMapRevisionError(RpcException e, out StoreStatus status)
    {
        status = e.Status.Detail switch
        {
            var d when d.Contains("compacted", StringComparison.Ordinal) => StoreStatus.Expired,
            var d when d.Contains("future revision", StringComparison.Ordinal) => StoreStatus.FutureRevision,
            _ => StoreStatus.Ok,
        };
        return status != StoreStatus.Ok;
    }
}
