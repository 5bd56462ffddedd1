using Monokube.Bench;
using Monokube.TestSupport;

// monokube benchmarks. Every scenario is bounded in time and uses loopback only.
//   dotnet run -c Release --project bench/Monokube.Bench -- [storage] [startup] [http] [reads] [watch] [--runs N] ...
var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

EtcdProcess? etcd = null;
try
{
    // storage and http compare with etcd: one private etcd for both unless one is given.
    var etcdUrl = options.EtcdServers;
    if (etcdUrl is null && (options.Scenarios.Contains("storage") || options.Scenarios.Contains("http")))
    {
        etcd = await EtcdProcess.StartAsync();
        etcdUrl = etcd.ClientUrl;
        Console.WriteLine($"started a private etcd at {etcdUrl} (data on tmpfs)");
    }

    if (options.Scenarios.Contains("startup"))
    {
        await new StartupBenchmark(options.Clusters, Console.Out).RunAsync();
    }

    if (options.Scenarios.Contains("storage"))
    {
        await new StorageBenchmark(options.Concurrency, TimeSpan.FromSeconds(options.Seconds), options.Runs, Console.Out).RunAsync(etcdUrl!);
    }

    if (options.Scenarios.Contains("http"))
    {
        await new HttpCreateBenchmark(options.Concurrency, TimeSpan.FromSeconds(options.Seconds), options.Runs, Console.Out).RunAsync(etcdUrl!);
    }

    if (options.Scenarios.Contains("reads"))
    {
        await new ReadsBenchmark(options.Pods, options.Runs, Console.Out).RunAsync();
    }

    if (options.Scenarios.Contains("watch"))
    {
        await new WatchBenchmark(options.Watchers, options.Updates, options.Runs, Console.Out).RunAsync();
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
