using System.Diagnostics;
using k8s;
using k8s.Models;

namespace Monokube.Testing.Tests;

/// <summary>Many clusters in one process, one after another and all at once: each sees only what it was given.</summary>
public sealed class IsolationTests(ITestOutputHelper output)
{
    private const int Clusters = 50;
    private const string Label = "monokube-testing/isolation";

    [Fact]
    public async Task Fifty_clusters_in_sequence_each_see_only_their_own_config_map()
    {
        var clock = Stopwatch.StartNew();
        var starts = new List<double>();
        for (var i = 0; i < Clusters; i++)
        {
            var began = clock.Elapsed;
            await using var cluster = await MonokubeCluster.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
            await WriteAndCheckAsync(cluster, "seq-" + i);
            starts.Add((clock.Elapsed - began).TotalMilliseconds);
        }

        output.WriteLine($"{Clusters} clusters in sequence (start, write, read, dispose): {clock.Elapsed.TotalSeconds:0.0}s; per cluster median {starts.Order().ElementAt(Clusters / 2):0} ms");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"{Clusters} clusters in sequence took {clock.Elapsed}");
    }

    [Fact]
    public async Task Fifty_clusters_at_once_each_see_only_their_own_config_map()
    {
        var clock = Stopwatch.StartNew();
        var clusters = await Task.WhenAll(Enumerable.Range(0, Clusters).Select(_ => MonokubeCluster.StartAsync(cancellationToken: TestContext.Current.CancellationToken)));
        try
        {
            output.WriteLine($"{Clusters} clusters started at once in {clock.Elapsed.TotalSeconds:0.0}s");
            Assert.Equal(Clusters, clusters.Select(c => c.ServerUri).Distinct().Count());
            await Task.WhenAll(clusters.Select((cluster, i) => WriteAndCheckAsync(cluster, "par-" + i)));
        }
        finally
        {
            await Task.WhenAll(clusters.Select(c => c.DisposeAsync().AsTask()));
        }

        output.WriteLine($"... written, checked and disposed after {clock.Elapsed.TotalSeconds:0.0}s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"{Clusters} clusters at once took {clock.Elapsed}");
    }

    private static async Task WriteAndCheckAsync(MonokubeCluster cluster, string name)
    {
        var ct = TestContext.Current.CancellationToken;
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { [Label] = "true" } } },
            "default", cancellationToken: ct);

        var mine = await cluster.Client.CoreV1.ListConfigMapForAllNamespacesAsync(labelSelector: Label, cancellationToken: ct);
        Assert.Equal(name, Assert.Single(mine.Items).Metadata.Name);
    }
}
