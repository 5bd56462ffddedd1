using Etcdserverpb;
using Grpc.Core;

namespace Monokube.Storage.Etcd;

public sealed partial class EtcdObjectStore
{
    public ValueTask<WatchStartResult> WatchAsync(string prefix, long afterRevision, CancellationToken cancellationToken = default) =>
        WatchAsync(prefix, afterRevision, null, cancellationToken);

    public async ValueTask<WatchStartResult> WatchAsync(string prefix, long afterRevision, Func<StoreEvent, bool>? filter, CancellationToken cancellationToken = default)
    {
        KeyRange.ValidateKey(prefix);
        var current = await GetCurrentRevisionAsync(cancellationToken);
        if (afterRevision == 0)
        {
            afterRevision = current;
        }

        // etcd reports a compacted start revision only asynchronously on the watch stream; a range read at the same
        // revision answers at once, so a caller learns "expired" before it starts streaming.
        if (afterRevision < current)
        {
            try
            {
                var probe = new RangeRequest { Key = ToEtcdKey(prefix), Revision = afterRevision + 1, CountOnly = true };
                await CallAsync(o => _kv.RangeAsync(probe, o), cancellationToken);
            }
            catch (RpcException e) when (TryMapRevisionError(e, out var status))
            {
                return new WatchStartResult(status, null, current);
            }
        }

        var watch = new EtcdWatch(this, prefix, afterRevision, filter);
        await watch.StartAsync(cancellationToken);
        return new WatchStartResult(StoreStatus.Ok, watch, current);
    }
}
