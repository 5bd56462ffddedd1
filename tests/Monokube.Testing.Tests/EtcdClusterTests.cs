using k8s;
using k8s.Models;

namespace Monokube.Testing.Tests;

public sealed class EtcdClusterTests(EtcdFixture fixture) : IClassFixture<EtcdFixture>
{
    [Fact]
    public async Task Clusters_on_one_etcd_are_isolated_by_prefix_and_leave_nothing_behind()
    {
        var ct = TestContext.Current.CancellationToken;
        var options = new MonokubeClusterOptions { Store = ClusterStore.Etcd(fixture.Etcd.ClientUrl) };
        var first = await MonokubeCluster.StartAsync(options, ct);
        var second = await MonokubeCluster.StartAsync(options, ct);
        try
        {
            Assert.NotEqual(first.EtcdPrefix, second.EtcdPrefix);
            Assert.StartsWith("/monokube-testing/", first.EtcdPrefix, StringComparison.Ordinal);
            await first.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "only-in-first" } }, "default", cancellationToken: ct);

            await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => second.Client.CoreV1.ReadNamespacedConfigMapAsync("only-in-first", "default", cancellationToken: ct));
            Assert.Contains(first.EtcdPrefix + "/configmaps/default/only-in-first", await fixture.KeysAsync(first.EtcdPrefix!));
        }
        finally
        {
            await first.DisposeAsync();
            await second.DisposeAsync();
        }

        Assert.Empty(await fixture.KeysAsync(first.EtcdPrefix!));
        Assert.Empty(await fixture.KeysAsync(second.EtcdPrefix!));
    }

    [Fact]
    public async Task A_cluster_whose_etcd_does_not_answer_fails_to_start_after_the_default_timeout()
    {
        var ct = TestContext.Current.CancellationToken;
        var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        var options = new MonokubeClusterOptions
        {
            Store = ClusterStore.Etcd($"http://127.0.0.1:{port}"),
            Controllers = false,
            DefaultTimeout = TimeSpan.FromSeconds(3),
        };

        var e = await Assert.ThrowsAsync<TimeoutException>(() => MonokubeCluster.StartAsync(options, ct));

        Assert.Contains("system namespaces", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prefix_of_your_own_is_kept_and_a_new_cluster_finds_the_objects_there()
    {
        var ct = TestContext.Current.CancellationToken;
        var prefix = "/kept-" + Guid.NewGuid().ToString("N")[..8];
        var options = new MonokubeClusterOptions { Store = ClusterStore.Etcd(fixture.Etcd.ClientUrl, prefix), Controllers = false };
        await using (var cluster = await MonokubeCluster.StartAsync(options, ct))
        {
            await cluster.ApplyAsync("{apiVersion: v1, kind: ConfigMap, metadata: {name: survivor}, data: {k: v}}", ct);
        }

        Assert.Contains(prefix + "/configmaps/default/survivor", await fixture.KeysAsync(prefix));
        await using var again = await MonokubeCluster.StartAsync(options, ct);
        var survivor = await again.Client.CoreV1.ReadNamespacedConfigMapAsync("survivor", "default", cancellationToken: ct);
        Assert.Equal("v", survivor.Data["k"]);
    }

    [Fact]
    public async Task An_etcd_cluster_runs_a_deployment_on_simulated_nodes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Store = ClusterStore.Etcd(fixture.Etcd.ClientUrl), Nodes = 2 }, ct);

        await cluster.ApplyAsync(Manifests.Deployment("on-etcd", replicas: 2), ct);

        await cluster.WaitForConditionAsync("apps/v1", "Deployment", "default", "on-etcd", "Available", cancellationToken: ct);
        var pods = await cluster.Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=on-etcd", cancellationToken: ct);
        Assert.Equal(2, pods.Items.Count(p => p.Status.Phase == "Running"));
    }
}
