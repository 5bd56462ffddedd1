using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Etcdserverpb;
using Monokube.Storage.Etcd;
using Monokube.Testing;

namespace Monokube.Bench;

/// <summary>
/// Creates per second over HTTP: ConfigMaps of about 1 KiB POSTed as JSON by concurrent HTTP/1.1 keep-alive clients,
/// each worker on a connection of its own, every answer checked to be 201. monokube on the memory store is compared
/// with a bare Kestrel endpoint in the same process (the HTTP stack's ceiling), monokube on the etcd store with the
/// raw etcd transaction that store sends, through the same gRPC client at the same concurrency.
/// </summary>
internal sealed class HttpCreateBenchmark(int concurrency, TimeSpan duration, int runs, TextWriter output)
{
    private const string Collection = "/api/v1/namespaces/default/configmaps";
    private static readonly byte[] BodyHead = Encoding.UTF8.GetBytes("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"");
    private static readonly byte[] BodyTail = Encoding.UTF8.GetBytes("\",\"labels\":{\"app\":\"bench\"}},\"data\":{\"payload\":\"" + new string('x', 900) + "\"}}");

    public async Task RunAsync(string etcdUrl)
    {
        await output.WriteLineAsync($"http: ConfigMap creates (JSON bodies of about {BodyHead.Length + BodyTail.Length + 20} bytes) from {concurrency} HTTP/1.1 keep-alive clients, one connection each, {duration.TotalSeconds:0.#}s per run, median of {runs} runs");

        // Each process gets keys of its own, so the bench can run again against the same etcd (--etcd-servers).
        var tag = Guid.NewGuid().ToString("N")[..8];
        var quiet = new MonokubeClusterOptions { Https = false, Controllers = false };
        await using var memory = await MonokubeCluster.StartAsync(quiet);
        await using var onEtcd = await MonokubeCluster.StartAsync(new MonokubeClusterOptions
        {
            Https = false,
            Controllers = false,
            Store = ClusterStore.Etcd(etcdUrl, "/monokube-bench-" + tag),
        });
        await using var bare = await BareKestrelServer.StartAsync();
        var etcdOptions = new EtcdOptions { Endpoints = [new Uri(etcdUrl)], Prefix = "/bench" };
        using var channel = EtcdChannelFactory.Create(etcdOptions);
        var raw = new KV.KVClient(channel);

        var sides = new (string Name, Uri? Server)[]
        {
            ("monokube, memory store", memory.ServerUri),
            ("bare Kestrel", bare.Url),
            ("monokube, etcd store", onEtcd.ServerUri),
            ("raw etcd Txn (gRPC)", null),
        };
        var clients = sides.Select(side => side.Server is { } server
            ? Enumerable.Range(0, concurrency).Select(_ => LoopbackHttp.CreateClient(server, 1)).ToArray()
            : []).ToArray();
        try
        {
            Func<int, long, Task> Operation(int side, string batch) => clients[side].Length > 0
                ? Create(clients[side], $"{batch}-{tag}")
                : StorageBenchmark.RawCreate(raw, $"http-{batch}-{tag}", 0);

            // JIT, connections and etcd's first writes, left out of the figures.
            var warmRound = 0;
            var warmUp = await Measure.UntilJitSettlesAsync(
                async () =>
                {
                    warmRound++;
                    for (var side = 0; side < sides.Length; side++)
                    {
                        await Measure.OpsPerSecondAsync(concurrency, TimeSpan.FromSeconds(0.5), Operation(side, "warm" + warmRound));
                    }
                },
                TimeSpan.FromSeconds(30));
            await output.WriteLineAsync(warmUp);

            // Every run measures the sides back to back, in a rotating order, so drift on a noisy machine favours none.
            var results = sides.Select(_ => new List<double>()).ToArray();
            for (var run = 0; run < runs; run++)
            {
                for (var i = 0; i < sides.Length; i++)
                {
                    var side = (i + run) % sides.Length;
                    results[side].Add(await Measure.OpsPerSecondAsync(concurrency, duration, Operation(side, "r" + run)));
                }
            }

            var median = results.Select(Measure.Median).ToArray();
            var table = new ResultTable();
            table.AddAtLeast("monokube (memory store) creates/s", median[0], 10_000, "N0");
            table.Add("bare Kestrel creates/s (HTTP ceiling)", ResultTable.Format(median[1], "N0"));
            table.AddAtLeast("monokube (memory) / bare Kestrel", median[0] / median[1] * 100, 50, "0", "%");
            table.Add("monokube (etcd store) creates/s", ResultTable.Format(median[2], "N0"));
            table.Add("raw etcd Txn creates/s", ResultTable.Format(median[3], "N0"));
            table.AddAtLeast("monokube (etcd) / raw etcd", median[2] / median[3] * 100, 60, "0", "%");
            await table.WriteAsync(output);
        }
        finally
        {
            foreach (var client in clients.SelectMany(c => c))
            {
                client.Dispose();
            }
        }
    }

    private static Func<int, long, Task> Create(HttpClient[] clients, string batch) => async (worker, n) =>
    {
        var name = Encoding.UTF8.GetBytes($"{batch}-w{worker}-{n}");
        var body = new byte[BodyHead.Length + name.Length + BodyTail.Length];
        BodyHead.CopyTo(body, 0);
        name.CopyTo(body, BodyHead.Length);
        BodyTail.CopyTo(body, BodyHead.Length + name.Length);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        // PostAsync returns once the whole answer is read.
        using var response = await clients[worker].PostAsync(Collection, content);
        await LoopbackHttp.ExpectAsync(response, HttpStatusCode.Created);
    };
}
