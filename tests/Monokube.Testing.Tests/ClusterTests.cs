using k8s;
using k8s.Models;
using Monokube.TestSupport;

namespace Monokube.Testing.Tests;

public sealed class ClusterTests
{
    [Fact]
    public async Task The_official_client_lists_the_system_namespaces()
    {
        await using var cluster = await MonokubeCluster.StartAsync(cancellationToken: TestContext.Current.CancellationToken);

        var namespaces = await cluster.Client.CoreV1.ListNamespaceAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("https", cluster.ServerUri.Scheme);
        Assert.True(cluster.ServerUri.IsLoopback);
        Assert.Superset(new HashSet<string> { "default", "kube-system", "kube-public", "kube-node-lease" }, namespaces.Items.Select(n => n.Metadata.Name).ToHashSet());
    }

    [Fact]
    public async Task Kubectl_works_with_the_written_kubeconfig_and_the_file_goes_with_the_cluster()
    {
        var cluster = await MonokubeCluster.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        string path;
        await using (cluster)
        {
            path = cluster.KubeconfigPath;
            Assert.Equal(cluster.Kubeconfig, await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }

            var (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(), path, "create", "configmap", "from-kubectl", "--from-literal=k=v");
            Assert.True(code == 0, stderr);
            var made = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("from-kubectl", "default", cancellationToken: TestContext.Current.CancellationToken);
            Assert.Equal("v", made.Data["k"]);

            (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(), path, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}");
            Assert.True(code == 0, stderr);
            Assert.Equal("kubernetes-admin", stdout);
        }

        Assert.False(File.Exists(path));
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
    }

    [Fact]
    public async Task The_kubeconfig_can_be_written_anywhere()
    {
        await using var cluster = await MonokubeCluster.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        using var dir = new TempDirectory();

        await cluster.WriteKubeconfigAsync(dir.File("nested/config"), TestContext.Current.CancellationToken);

        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(dir.File("nested/config")));
        var version = await client.Version.GetCodeAsync(TestContext.Current.CancellationToken);
        Assert.StartsWith("v1.", version.GitVersion, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_http_serves_every_request_as_an_administrator()
    {
        await using var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Https = false }, TestContext.Current.CancellationToken);

        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "plain" } }, cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("http", cluster.ServerUri.Scheme);
        var (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(), cluster.KubeconfigPath, "get", "namespace", "plain", "-o", "name");
        Assert.True(code == 0, stderr);
        Assert.Equal("namespace/plain", stdout.Trim());
    }

    [Fact]
    public async Task Without_controllers_a_deployment_gets_no_pods()
    {
        await using var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Controllers = false, Nodes = 1 }, TestContext.Current.CancellationToken);

        await cluster.ApplyAsync(Manifests.Deployment("idle", replicas: 1), TestContext.Current.CancellationToken);

        // Nothing will ever happen, so give it a moment a controller would have needed, then check nothing did.
        await Task.Delay(TimeSpan.FromMilliseconds(500), TestContext.Current.CancellationToken);
        var replicaSets = await cluster.Client.AppsV1.ListNamespacedReplicaSetAsync("default", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Empty(replicaSets.Items);
    }

    [Fact]
    public async Task A_wait_that_times_out_says_what_it_last_saw()
    {
        await using var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Controllers = false }, TestContext.Current.CancellationToken);
        await cluster.ApplyAsync("""
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: stays}
            data: {phase: one}
            """, TestContext.Current.CancellationToken);

        var late = cluster.WaitForAsync("v1", "ConfigMap", "default", "stays", o => o["data"]?["phase"]?.ToString() == "two", TimeSpan.FromMilliseconds(300), TestContext.Current.CancellationToken);
        var missing = cluster.WaitForConditionAsync("v1", "Node", null, "nowhere", "Ready", timeout: TimeSpan.FromMilliseconds(300), cancellationToken: TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<TimeoutException>(() => late);
        Assert.Contains("ConfigMap default/stays", error.Message, StringComparison.Ordinal);
        var absent = await Assert.ThrowsAsync<TimeoutException>(() => missing);
        Assert.Contains("Node nowhere", absent.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", absent.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wait_sees_a_change_made_after_it_began()
    {
        await using var cluster = await MonokubeCluster.StartAsync(new MonokubeClusterOptions { Controllers = false }, TestContext.Current.CancellationToken);
        var wait = cluster.WaitForAsync("v1", "configmaps", "default", "later", o => o["data"]?["ready"]?.ToString() == "yes", cancellationToken: TestContext.Current.CancellationToken);

        await cluster.ApplyAsync("{apiVersion: v1, kind: ConfigMap, metadata: {name: later}, data: {ready: 'no'}}", TestContext.Current.CancellationToken);
        await cluster.ApplyAsync("{apiVersion: v1, kind: ConfigMap, metadata: {name: later}, data: {ready: 'yes'}}", TestContext.Current.CancellationToken);

        var seen = await wait;
        Assert.Equal("yes", seen["data"]?["ready"]?.ToString());
    }
}
