using k8s;

namespace Monokube.Testing.Tests;

public sealed class NodeTests
{
    [Fact]
    public async Task Two_simulated_nodes_are_ready_and_run_a_deployments_pods()
    {
        await using var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Nodes = 2 }, TestContext.Current.CancellationToken);

        Assert.Equal(["node-0", "node-1"], cluster.NodeNames);
        var nodes = await cluster.Client.CoreV1.ListNodeAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.All(nodes.Items, n => Assert.Contains(n.Status.Conditions, c => c.Type == "Ready" && c.Status == "True"));
        Assert.Equal(2, nodes.Items.Count);

        await cluster.ApplyAsync(Manifests.Deployment("web", replicas: 4), TestContext.Current.CancellationToken);
        await cluster.WaitForAsync("apps/v1", "Deployment", "default", "web", d => d["status"]?["readyReplicas"]?.GetValue<int>() == 4, cancellationToken: TestContext.Current.CancellationToken);

        var pods = await cluster.Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=web", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(4, pods.Items.Count);
        Assert.All(pods.Items, p => Assert.Equal("Running", p.Status.Phase));
        // The scheduler spreads a controller's pods over the nodes.
        Assert.Equal(["node-0", "node-1"], pods.Items.Select(p => p.Spec.NodeName).Distinct().Order());
        await cluster.WaitForConditionAsync("apps/v1", "Deployment", "default", "web", "Available", cancellationToken: TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Nodes_stop_with_the_cluster()
    {
        var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Nodes = 3, Controllers = false }, TestContext.Current.CancellationToken);
        var leases = await cluster.Client.CoordinationV1.ListNamespacedLeaseAsync("kube-node-lease", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(3, leases.Items.Count);

        await cluster.DisposeAsync();
        await cluster.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => cluster.KubeconfigPath);
    }
}
