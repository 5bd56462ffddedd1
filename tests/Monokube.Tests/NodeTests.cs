using System.Text.Json.Nodes;
using Monokube.TestSupport;

namespace Monokube.Tests;

/// <summary>monokube node as a kubelet against monokube serve, driven with kubectl.</summary>
public sealed class NodeTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_node_registers_runs_pods_completes_and_deletes_them_and_renews_its_lease()
    {
        using var dir = new TempDirectory();
        var kubeconfig = dir.File("admin.kubeconfig");
        await using var server = await MonokubeProcess.ServeAsync("--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir", dir.File("certs"), "--write-kubeconfig", kubeconfig);
        await using var node = MonokubeProcess.Launch("node", "--port=0", "--address=127.0.0.1", "--kubeconfig", kubeconfig, "--hostname-override=n1", "--root-dir", dir.File("root"), "--node-lease-renew-interval=1s", "--node-labels=tier=edge");
        await WaitForOutputAsync(node, "n1 registered and ready");

        var info = JsonNode.Parse(await KubectlOkAsync(kubeconfig, "get", "node", "n1", "-o", "json"))!;
        Assert.Equal("True", info["status"]!["conditions"]!.AsArray().Single(c => c!["type"]!.ToString() == "Ready")!["status"]!.ToString());
        Assert.Equal("edge", info["metadata"]!["labels"]!["tier"]!.ToString());
        Assert.Equal("v1.33.0", info["status"]!["nodeInfo"]!["kubeletVersion"]!.ToString());

        await KubectlOkAsync(kubeconfig, "create", "deployment", "web", "--image=nginx:1.25", "--replicas=3");
        await KubectlOkAsync(kubeconfig, "rollout", "status", "deployment/web", "--timeout=60s");
        var pods = JsonNode.Parse(await KubectlOkAsync(kubeconfig, "get", "pods", "-l", "app=web", "-o", "json"))!["items"]!.AsArray();
        Assert.Equal(3, pods.Count);
        Assert.All(pods, p =>
        {
            Assert.Equal("Running", p!["status"]!["phase"]!.ToString());
            Assert.StartsWith("10.244.", p["status"]!["podIP"]!.ToString(), StringComparison.Ordinal);
            Assert.True(p["status"]!["containerStatuses"]![0]!["ready"]!.GetValue<bool>());
        });

        // A pod that does not restart completes; a deleted one is gone once its node finished it.
        await KubectlOkAsync(kubeconfig, "run", "once", "--image=busybox:1.36", "--restart=Never");
        await KubectlOkAsync(kubeconfig, "wait", "--for=jsonpath={.status.phase}=Succeeded", "pod/once", "--timeout=60s");
        await KubectlOkAsync(kubeconfig, "delete", "pod", pods[0]!["metadata"]!["name"]!.ToString(), "--timeout=30s");

        // The Lease is renewed.
        var first = await RenewTimeAsync(kubeconfig);
        await Eventually.WaitAsync(async () => await RenewTimeAsync(kubeconfig) != first, TimeSpan.FromSeconds(20), "the node's lease to be renewed");
        Assert.Equal(0, await node.TerminateAsync());
    }

    [Fact]
    public async Task A_node_without_a_kubeconfig_bootstraps_its_certificate_with_the_bootstrap_token()
    {
        using var dir = new TempDirectory();
        var assets = dir.File("assets");
        var port = FreePort.Next();
        var (code, output) = await MonokubeProcess.RunAsync("render", "--asset-dir", assets, "--api-servers", $"https://127.0.0.1:{port}");
        Assert.True(code == 0, output);
        await using var server = await MonokubeProcess.ServeAsync(
            "--bind-address=127.0.0.1", $"--secure-port={port}", "--tls-cert-file", Path.Combine(assets, "tls", "apiserver.crt"),
            "--tls-private-key-file", Path.Combine(assets, "tls", "apiserver.key"), "--client-ca-file", Path.Combine(assets, "tls", "ca.crt"),
            "--cluster-signing-cert-file", Path.Combine(assets, "tls", "ca.crt"), "--cluster-signing-key-file", Path.Combine(assets, "tls", "ca.key"),
            "--enable-bootstrap-token-auth", "--cert-dir", dir.File("certs"));
        var admin = Path.Combine(assets, "auth", "admin.kubeconfig");
        await KubectlOkAsync(admin, "apply", "-f", Path.Combine(assets, "manifests", "bootstrap-token.yaml"), "-f", Path.Combine(assets, "manifests", "kubelet-bootstrap-rbac.yaml"));

        var kubeconfig = dir.File("root/kubeconfig");
        await using var node = MonokubeProcess.Launch("node", "--port=0", "--address=127.0.0.1", "--bootstrap-kubeconfig", Path.Combine(assets, "auth", "bootstrap-kubeconfig"), "--kubeconfig", kubeconfig,
            "--root-dir", dir.File("root"), "--hostname-override=worker-1", "--register-with-taints=dedicated=edge:NoSchedule");
        await WaitForOutputAsync(node, "worker-1 registered and ready");

        Assert.Contains("got its client certificate", node.Output, StringComparison.Ordinal);
        var whoami = JsonNode.Parse(await KubectlOkAsync(kubeconfig, "auth", "whoami", "-o", "json"))!;
        Assert.Equal("system:node:worker-1", whoami["status"]!["userInfo"]!["username"]!.ToString());
        var taint = JsonNode.Parse(await KubectlOkAsync(admin, "get", "node", "worker-1", "-o", "json"))!["spec"]!["taints"]![0]!;
        Assert.Equal("dedicated", taint["key"]!.ToString());
        Assert.Equal("NoSchedule", taint["effect"]!.ToString());
        Assert.Equal(0, await node.TerminateAsync());
    }

    [Fact]
    public async Task An_agent_with_exit_on_lock_contention_hands_the_node_to_the_next_one()
    {
        using var dir = new TempDirectory();
        var kubeconfig = dir.File("admin.kubeconfig");
        await using var server = await MonokubeProcess.ServeAsync("--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir", dir.File("certs"), "--write-kubeconfig", kubeconfig);
        var lockFile = dir.File("kubelet.lock");
        await using var bootstrap = MonokubeProcess.Launch("node", "--port=0", "--address=127.0.0.1", "--kubeconfig", kubeconfig, "--hostname-override=m1", "--root-dir", dir.File("a"), "--lock-file", lockFile, "--exit-on-lock-contention");
        await WaitForOutputAsync(bootstrap, "m1 registered and ready");

        await using var managed = MonokubeProcess.Launch("node", "--port=0", "--address=127.0.0.1", "--kubeconfig", kubeconfig, "--hostname-override=m1", "--root-dir", dir.File("b"), "--lock-file", lockFile, "--exit-on-lock-contention");
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Assert.Equal(0, await bootstrap.WaitForExitAsync(exit.Token));
        Assert.Contains("exiting: another process opened the lock file", bootstrap.Output, StringComparison.Ordinal);
        await WaitForOutputAsync(managed, "m1 registered and ready");
        Assert.Equal(0, await managed.TerminateAsync());
    }

    [Fact]
    public async Task One_process_keeps_many_nodes()
    {
        using var dir = new TempDirectory();
        var kubeconfig = dir.File("admin.kubeconfig");
        await using var server = await MonokubeProcess.ServeAsync("--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir", dir.File("certs"), "--write-kubeconfig", kubeconfig);
        await using var nodes = MonokubeProcess.Launch("node", "--port=0", "--address=127.0.0.1", "--kubeconfig", kubeconfig, "--node-name=sim", "--count=25", "--root-dir", dir.File("root"));
        await WaitForOutputAsync(nodes, "25 nodes sim-0 ... sim-24 registered and ready");

        var list = JsonNode.Parse(await KubectlOkAsync(kubeconfig, "get", "nodes", "-o", "json"))!["items"]!.AsArray();
        Assert.Equal(25, list.Count(n => n!["status"]!["conditions"]!.AsArray().Any(c => c!["type"]!.ToString() == "Ready" && c["status"]!.ToString() == "True")));
        var leases = JsonNode.Parse(await KubectlOkAsync(kubeconfig, "get", "leases", "-n", "kube-node-lease", "-o", "json"))!["items"]!.AsArray();
        Assert.Equal(25, leases.Count);

        await KubectlOkAsync(kubeconfig, "create", "deployment", "spread", "--image=nginx:1.25", "--replicas=50");
        await KubectlOkAsync(kubeconfig, "rollout", "status", "deployment/spread", "--timeout=60s");
        Assert.Equal(0, await nodes.TerminateAsync());
    }

    [Theory]
    [InlineData("node --runtime=process --count=2", "--runtime=process runs one node")]
    [InlineData("node --image-map=x.yaml", "--image-map needs --runtime=process")]
    [InlineData("node --count=0", "--count must be at least 1")]
    [InlineData("node --hostname-override=Bad_Name", "invalid node name")]
    [InlineData("node --register-with-taints=a=b", "invalid --register-with-taints")]
    [InlineData("node --exit-on-lock-contention", "--exit-on-lock-contention needs --lock-file")]
    public async Task Bad_flags_get_a_clear_message(string commandLine, string message)
    {
        var (code, output) = await MonokubeProcess.RunAsync(commandLine.Split(' '));
        Assert.Equal(2, code);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    private static async Task<string> RenewTimeAsync(string kubeconfig) =>
        (await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, "get", "lease", "-n", "kube-node-lease", "n1", "-o", "jsonpath={.spec.renewTime}")).Stdout;

    private static Task WaitForOutputAsync(MonokubeProcess process, string text) =>
        Eventually.WaitAsync(() => Task.FromResult(process.Output.Contains(text, StringComparison.Ordinal)), TimeSpan.FromSeconds(60), $"\"{text}\" from monokube node:\n{process.Output}");

    private static async Task<string> KubectlOkAsync(string kubeconfig, params string[] args)
    {
        var (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}:\n{stderr}\n{stdout}");
        return stdout;
    }
}
