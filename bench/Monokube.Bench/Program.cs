using Monokube.Bench;
using Monokube.TestSupport;

// monokube benchmarks. Every scenario is bounded in time and uses loopback only.
//   dotnet run -c Release --project bench/Monokube.Bench -- [storage] [startup] [--seconds N] [--runs N] [--concurrency N] [--etcd-servers URL] [--clusters N]
var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("usage: Monokube.Bench [storage] [startup] [--seconds N] [--runs N] [--concurrency N] [--etcd-servers URL] [--clusters N]");
    return 2;
}

EtcdProcess? etcd = null;
try
{
    if (options.Scenarios.Contains("startup"))
    {
        await new StartupBenchmark(options.Clusters, Console.Out).RunAsync();
    }

    if (options.Scenarios.Contains("storage"))
    {
        var etcdUrl = options.EtcdServers;
        if (etcdUrl is null)
        {
            etcd = await EtcdProcess.StartAsync();
            etcdUrl = etcd.ClientUrl;
            Console.WriteLine($"started a private etcd at {etcdUrl} (data on tmpfs)");
        }

        await new StorageBenchmark(options.Concurrency, TimeSpan.FromSeconds(options.Seconds), options.Runs, Console.Out).RunAsync(etcdUrl);
    }
}
finally
{
    if (etcd is not null)
    {
        await etcd.DisposeAsync();
    }
}

return 0;
