using System.Globalization;
using System.Text;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Monokube.Storage;
using Monokube.Storage.Etcd;
using Monokube.Storage.Memory;

namespace Monokube.Bench;

/// <summary>
/// Storage operations per second for both stores at the same concurrency, and for etcd the same transactions sent
/// raw through the same gRPC client, so the store's own overhead shows as a ratio measured in the same run.
/// </summary>
internal sealed class StorageBenchmark(int concurrency, TimeSpan duration, int runs, TextWriter output)
{
    private static readonly byte[] Value = CreateValue();

    public async Task RunAsync(string etcdUrl)
    {
        await output.WriteLineAsync($"storage: {concurrency} concurrent workers, {duration.TotalSeconds:0.#}s per run, median of {runs} runs, values of {Value.Length} bytes");
        var rows = new List<(string Operation, double Memory, double Etcd, double Raw)>();

        var memory = new MemoryObjectStore(new MemoryStoreOptions { HistoryLimit = 10_000 });
        var options = new EtcdOptions { Endpoints = [new Uri(etcdUrl)], Prefix = "/bench" };
        await using var etcd = new EtcdObjectStore(options);
        using var channel = EtcdChannelFactory.Create(options);
        var raw = new KV.KVClient(channel);

        await SeedAsync(memory);
        await SeedAsync(etcd);
        rows.Add(await CompareAsync("create", run => Create(memory, run), run => Create(etcd, run), run => RawCreate(raw, "raw-create", run)));
        rows.Add(await CompareAsync("get", _ => Get(memory), _ => Get(etcd), _ => RawGet(raw)));
        rows.Add(await CompareAsync("update (CAS)", run => Update(memory, run), run => Update(etcd, run), run => RawUpdate(raw, run)));
        rows.Add(await CompareAsync("list 100", _ => List(memory), _ => List(etcd), _ => RawList(raw)));
        await memory.DisposeAsync();

        await output.WriteLineAsync();
        await output.WriteLineAsync("| operation | memory ops/s | etcd store ops/s | raw etcd ops/s | etcd store / raw |");
        await output.WriteLineAsync("|---|---:|---:|---:|---:|");
        foreach (var (operation, m, e, r) in rows)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"| {operation} | {m:N0} | {e:N0} | {r:N0} | {e / r:P0} |"));
        }
    }

    // Each run measures all three back to back, in a rotating order, so that drift on a noisy machine (etcd's
    // growing database, the other process on the same cores) does not favour one side of the ratio.
    private async Task<(string, double, double, double)> CompareAsync(
        string operation, Func<int, Func<int, long, Task>> memory, Func<int, Func<int, long, Task>> etcd, Func<int, Func<int, long, Task>> raw)
    {
        var results = new List<double>[] { [], [], [] };
        var operations = new[] { memory, etcd, raw };
        for (var run = 0; run < runs; run++)
        {
            for (var i = 0; i < operations.Length; i++)
            {
                var which = (i + run) % operations.Length;
                results[which].Add(await Measure.OpsPerSecondAsync(concurrency, duration, operations[which](run)));
            }
        }

        return (operation, Measure.Median(results[0]), Measure.Median(results[1]), Measure.Median(results[2]));
    }

    // 100 objects per worker that get and list read, written before any read is measured.
    private async Task SeedAsync(IObjectStore store)
    {
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            for (var i = 0; i < 100; i++)
            {
                await store.CreateAsync(Key("seed", 0, worker, i), Value);
            }
        }));
    }

    private static string Key(string kind, int run, int worker, long n) => $"/configmaps/{kind}-{run}/w{worker}-{n}";

    private static Func<int, long, Task> Create(IObjectStore store, int run) => async (worker, n) =>
    {
        var result = await store.CreateAsync(Key("create", run, worker, n), Value);
        Check(result.Status == StoreStatus.Ok, result.Status);
    };

    /// <summary>The transaction EtcdObjectStore sends for a create (put if absent), sent raw, with keys of its own kind.</summary>
    internal static Func<int, long, Task> RawCreate(KV.KVClient kv, string kind, int run) => async (worker, n) =>
    {
        var key = ByteString.CopyFromUtf8("/bench" + Key(kind, run, worker, n));
        var txn = new TxnRequest
        {
            Compare = { new Compare { Key = key, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = 0 } },
            Success = { new RequestOp { RequestPut = new PutRequest { Key = key, Value = UnsafeByteOperations.UnsafeWrap(Value) } } },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = key } } },
        };
        var response = await kv.TxnAsync(txn, Deadline());
        Check(response.Succeeded, "raw create failed");
    };

    // Reads the objects the first create run wrote, so get and list have data in both stores.
    private static Func<int, long, Task> Get(IObjectStore store) => async (worker, n) =>
    {
        var result = await store.GetAsync(Key("seed", 0, worker, n % 100));
        Check(result.Status == StoreStatus.Ok, result.Status);
    };

    private static Func<int, long, Task> RawGet(KV.KVClient kv) => async (worker, n) =>
    {
        var response = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("/bench" + Key("seed", 0, worker, n % 100)) }, Deadline());
        Check(response.Kvs.Count == 1, "raw get found nothing");
    };

    private static Func<int, long, Task> Update(IObjectStore store, int run)
    {
        var revisions = new Dictionary<int, long>();
        return async (worker, n) =>
        {
            var key = Key("update", run, worker, 0);
            lock (revisions)
            {
                revisions.TryAdd(worker, 0);
            }

            StoreResult result;
            if (n == 0)
            {
                result = await store.CreateAsync(key, Value);
            }
            else
            {
                long expected;
                lock (revisions)
                {
                    expected = revisions[worker];
                }

                result = await store.UpdateAsync(key, Value, new Preconditions(expected));
            }

            Check(result.Status == StoreStatus.Ok, result.Status);
            lock (revisions)
            {
                revisions[worker] = result.Revision;
            }
        };
    }

    private static Func<int, long, Task> RawUpdate(KV.KVClient kv, int run)
    {
        var revisions = new long[1024];
        return async (worker, n) =>
        {
            var key = ByteString.CopyFromUtf8("/bench" + Key("raw-update", run, worker, 0));
            var txn = new TxnRequest
            {
                Compare = { new Compare { Key = key, Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = n == 0 ? 0 : revisions[worker] } },
                Success = { new RequestOp { RequestPut = new PutRequest { Key = key, Value = UnsafeByteOperations.UnsafeWrap(Value) } } },
                Failure = { new RequestOp { RequestRange = new RangeRequest { Key = key } } },
            };
            var response = await kv.TxnAsync(txn, Deadline());
            Check(response.Succeeded, "raw update conflicted");
            revisions[worker] = response.Header.Revision;
        };
    }

    private static Func<int, long, Task> List(IObjectStore store) => async (_, _) =>
    {
        var result = await store.ListAsync(new ListRequest("/configmaps/seed-0/", Limit: 100));
        Check(result.Items.Count == 100, "list returned " + result.Items.Count);
    };

    private static Func<int, long, Task> RawList(KV.KVClient kv) => async (_, _) =>
    {
        var prefix = "/bench/configmaps/create-0/";
        var response = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8(prefix), RangeEnd = ByteString.CopyFromUtf8(KeyRange.PrefixEnd(prefix)), Limit = 100 }, Deadline());
        Check(response.Kvs.Count == 100, "raw list returned " + response.Kvs.Count);
    };

    private static CallOptions Deadline() => new(deadline: DateTime.UtcNow.AddSeconds(10));

    private static void Check(bool ok, object what)
    {
        if (!ok)
        {
            throw new InvalidOperationException("benchmark operation failed: " + what);
        }
    }

    private static byte[] CreateValue()
    {
        var data = new string('x', 1024 - 150);
        const string Head = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"bench\",\"namespace\":\"default\",\"uid\":\"00000000-0000-0000-0000-000000000000\"},\"data\":{\"payload\":\"";
        return Encoding.UTF8.GetBytes(Head + data + "\"}}");
    }
}
