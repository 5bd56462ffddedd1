using k8s;
using k8s.Models;
using Monokube.Testing;
using Monokube.Testing.Xunit;
using Xunit;

namespace Samples;

// The README's sample, verbatim: if this stops compiling or passing, the README is wrong.
public class ConfigMapTests(MonokubeClusterFixture fixture) : IClassFixture<MonokubeClusterFixture>
{
    [Fact]
    public async Task A_config_map_round_trips()
    {
        var ct = TestContext.Current.CancellationToken;
        await fixture.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "settings" }, Data = new Dictionary<string, string> { ["mode"] = "fast" } },
            "default", cancellationToken: ct);

        var read = await fixture.Client.CoreV1.ReadNamespacedConfigMapAsync("settings", "default", cancellationToken: ct);
        Assert.Equal("fast", read.Data["mode"]);
    }

    [Fact]
    public async Task A_deployment_becomes_available_on_a_simulated_node()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Nodes = 1 }, ct);
        await cluster.ApplyAsync("""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
            spec:
              replicas: 2
              selector:
                matchLabels: {app: web}
              template:
                metadata:
                  labels: {app: web}
                spec:
                  containers:
                  - name: web
                    image: nginx:1.27
            """, ct);

        await cluster.WaitForConditionAsync("apps/v1", "Deployment", "default", "web", "Available", cancellationToken: ct);
        var pods = await cluster.Client.CoreV1.ListNamespacedPodAsync("default", labelSelector: "app=web", cancellationToken: ct);
        Assert.Equal(2, pods.Items.Count(pod => pod.Status.Phase == "Running"));
    }
}
