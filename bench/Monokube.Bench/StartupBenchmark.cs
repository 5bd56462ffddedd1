using System.Diagnostics;
using System.Globalization;
using k8s;
using Monokube.Testing;

namespace Monokube.Bench;

/// <summary>
/// In-process start of a test cluster (Monokube.Testing): MonokubeCluster.StartAsync until the official client's
/// first answer (list namespaces), then DisposeAsync, one cluster after another. The first start of the process
/// (JIT, the process-wide certificates) is reported apart from the median of the rest.
/// </summary>
internal sealed class StartupBenchmark(int clusters, TextWriter output)
{
    public async Task RunAsync()
    {
        await output.WriteLineAsync($"startup: MonokubeCluster.StartAsync + first request (CoreV1.ListNamespaceAsync), {clusters} clusters in sequence per variant");
        await output.WriteLineAsync();
        await output.WriteLineAsync("| variant | first in process | StartAsync (median) | start + first request (median) | p90 | dispose (median) |");
        await output.WriteLineAsync("|---|---:|---:|---:|---:|---:|");
        await MeasureAsync("defaults (HTTPS, controllers)", new MonokubeClusterOptions());
        await MeasureAsync("Controllers = false", new MonokubeClusterOptions { Controllers = false });
        await MeasureAsync("Https = false, Controllers = false", new MonokubeClusterOptions { Https = false, Controllers = false });
        await MeasureAsync("Nodes = 3 (registered and Ready)", new MonokubeClusterOptions { Nodes = 3 });
    }

    private async Task MeasureAsync(string variant, MonokubeClusterOptions options)
    {
        var starts = new List<double>();
        var returned = new List<double>();
        var disposals = new List<double>();
        for (var i = 0; i <= clusters; i++)
        {
            var clock = Stopwatch.StartNew();
            var cluster = await MonokubeCluster.StartAsync(options);
            returned.Add(clock.Elapsed.TotalMilliseconds);
            var namespaces = await cluster.Client.CoreV1.ListNamespaceAsync();
            var started = clock.Elapsed.TotalMilliseconds;
            if (namespaces.Items.Count < 4)
            {
                throw new InvalidOperationException("the system namespaces are missing");
            }

            clock.Restart();
            await cluster.DisposeAsync();
            disposals.Add(clock.Elapsed.TotalMilliseconds);
            starts.Add(started);
        }

        var rest = starts.Skip(1).Order().ToArray();
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"| {variant} | {starts[0]:0} ms | {Measure.Median(returned.Skip(1)):0.0} ms | {Measure.Median(rest):0.0} ms | {rest[(int)(rest.Length * 0.9)]:0.0} ms | {Measure.Median(disposals.Skip(1)):0.0} ms |"));
    }
}
