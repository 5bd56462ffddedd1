using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Monokube.Controllers.Client;
using Monokube.TestSupport;

namespace Monokube.Tests;

/// <summary>
/// The self-hosted pivot on this machine, as scripts/demo.sh runs it: etcd, rendered assets, a bootstrap node agent
/// running the control-plane images as monokube's own commands (process runtime), and monokube start handing the
/// apiserver port over to the managed kube-apiserver that the agent runs.
/// </summary>
public sealed class PivotTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_pivots_to_the_control_plane_its_node_agents_run_and_the_cluster_heals_and_grows()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        using var dir = new TempDirectory();
        var port = FreePort.Next();
        var assets = dir.File("assets");
        var (code, output) = await MonokubeProcess.RunAsync("render", "--asset-dir", assets, "--api-servers", $"https://127.0.0.1:{port}", "--etcd-servers", etcd.ClientUrl, "--bind-address", "127.0.0.1");
        Assert.True(code == 0, output);

        // The machine's /etc/kubernetes and /var/lib/kubelet, as cloud-init lays them down, under a directory.
        var host = dir.File("host");
        foreach (var sub in new[] { "etc/kubernetes/manifests", "var/lib/kubelet/pki", "var/run/lock", "var/log" })
        {
            Directory.CreateDirectory(Path.Combine(host, sub));
        }

        File.Copy(Path.Combine(assets, "auth", "bootstrap-kubeconfig"), Path.Combine(host, "etc/kubernetes/bootstrap-kubeconfig"));
        File.Copy(Path.Combine(assets, "tls", "ca.crt"), Path.Combine(host, "etc/kubernetes/ca.crt"));
        File.Copy(Path.Combine(assets, "bootstrap", "kubelet-config.yaml"), Path.Combine(host, "etc/kubernetes/kubelet-config.yaml"));
        var images = dir.File("images.yaml");
        var monokube = string.Join(", ", MonokubeProcess.CommandWords().Select(w => $"'{w}'"));
        await File.WriteAllTextAsync(images, $"""
            registry.k8s.io/kube-apiserver: [{monokube}, serve, --controllers=none]
            registry.k8s.io/kube-controller-manager: [{monokube}, controller-manager]
            registry.k8s.io/kube-scheduler: [{monokube}, scheduler]
            registry.k8s.io/kubelet: [{monokube}, node, --runtime=process, '--image-map={images}', '--host-root={host}', --address=127.0.0.1, --port=0]

            """, Token);

        try
        {
            await using var bootstrap = MonokubeProcess.Launch(
                "node", "--runtime=process", "--image-map", images, "--host-root", host,
                "--config", Path.Combine(host, "etc/kubernetes/kubelet-config.yaml"),
                "--bootstrap-kubeconfig", Path.Combine(host, "etc/kubernetes/bootstrap-kubeconfig"),
                "--kubeconfig", Path.Combine(host, "var/lib/kubelet/kubeconfig"), "--cert-dir", Path.Combine(host, "var/lib/kubelet/pki"),
                "--node-labels=monokube.io/control-plane=true", "--register-with-taints=component=kubelet:NoSchedule",
                "--lock-file", Path.Combine(host, "var/run/lock/kubelet.lock"), "--exit-on-lock-contention",
                "--hostname-override=master-0", "--address=127.0.0.1", "--port=0");
            await using var start = MonokubeProcess.Launch("start", "--asset-dir", assets, "--etcd-servers", etcd.ClientUrl, "--timeout=300s");
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(320)))
            {
                // The bootstrap agent leaves with 0 once the managed kubelet has taken the lock; one that fails leaves
                // start waiting in vain: say so at once.
                var started = start.WaitForExitAsync(timeout.Token);
                var agent = bootstrap.WaitForExitAsync(timeout.Token);
                if (await Task.WhenAny(started, agent) == agent)
                {
                    Assert.True(await agent == 0, $"the bootstrap node agent failed:\n{bootstrap.Output}\n--- monokube start:\n{start.Output}");
                }

                var exit = await started;
                Assert.True(exit == 0, $"monokube start exited {exit}:\n{start.Output}\n--- bootstrap node agent:\n{bootstrap.Output}");
            }

            // The bootstrap agent gave the node up to the managed kubelet (a DaemonSet pod) through the lock file.
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                Assert.Equal(0, await bootstrap.WaitForExitAsync(timeout.Token));
            }

            Assert.Contains("another process opened the lock file", bootstrap.Output, StringComparison.Ordinal);

            // The address is served by the managed kube-apiserver: a process the node agent started (its container
            // supervisor is the parent), not monokube start.
            var apiserver = Assert.Single(ListeningSockets.ProcessesOn(port));
            Assert.NotEqual(start.Id, apiserver);
            Assert.Equal(SupervisorOf(host, "kube-apiserver"), ListeningSockets.ParentOf(apiserver));

            var admin = Path.Combine(assets, "auth", "admin.kubeconfig");
            await KubectlOkAsync(admin, "get", "-f", Path.Combine(assets, "manifests"), "-o", "name");
            await KubectlOkAsync(admin, "wait", "--for=condition=Ready", "node/master-0", "--timeout=60s");
            var kubeletPods = JsonNode.Parse(await KubectlOkAsync(admin, "get", "pods", "-n", "kube-system", "-l", "component=kubelet", "-o", "json"))!["items"]!.AsArray();
            Assert.Equal("Running", Assert.Single(kubeletPods)!["status"]!["phase"]!.ToString());

            // The managed kubelet keeps the node: its Lease is renewed after the bootstrap agent has gone.
            var renewed = await LeaseRenewTimeAsync(admin);
            await Eventually.WaitAsync(async () => await LeaseRenewTimeAsync(admin) != renewed, TimeSpan.FromSeconds(30), "the node's Lease to be renewed by the managed kubelet");

            // Killing the managed apiserver is healed by the node agent: the container restarts.
            Kill(apiserver);
            using var client = new KubeClient(KubeconfigFile.Load(admin, "test"));
            await Eventually.WaitAsync(async () => ListeningSockets.ProcessesOn(port) is [var again] && again != apiserver && await ReadyAsync(client), TimeSpan.FromSeconds(60), "the managed apiserver to be restarted");
            await Eventually.WaitAsync(async () => JsonNode.Parse(await KubectlOkAsync(admin, "get", "pods", "-n", "kube-system", "-l", "component=kube-apiserver", "-o", "json"))!["items"]![0]!["status"]!["containerStatuses"]![0]!["restartCount"]!.GetValue<int>() >= 1,
                TimeSpan.FromSeconds(60), "the kube-apiserver pod to count the restart");

            // A worker joins with only the bootstrap token: the managed controller-manager approves and signs its
            // certificate, and the kube-proxy DaemonSet runs on it.
            await using var worker = MonokubeProcess.Launch("node", "--bootstrap-kubeconfig", Path.Combine(assets, "auth", "bootstrap-kubeconfig"),
                "--kubeconfig", dir.File("worker/kubeconfig"), "--root-dir", dir.File("worker"), "--hostname-override=worker-1", "--address=127.0.0.1", "--port=0");
            try
            {
                await Eventually.WaitAsync(() => Task.FromResult(worker.Output.Contains("worker-1 registered and ready", StringComparison.Ordinal)), TimeSpan.FromSeconds(90), "the worker to join");
            }
            catch (TimeoutException e)
            {
                var (_, pods, _) = await Kubectl.RunAsync(Kubectl.Find(null), admin, "get", "pods,csr", "-A", "-o", "wide");
                var (_, logs, _) = await Kubectl.RunAsync(Kubectl.Find(null), admin, "logs", "-n", "kube-system", "-l", "component=kube-controller-manager", "--tail=30", "--prefix");
                throw new TimeoutException($"{e.Message}\n--- the worker:\n{worker.Output}\n--- the cluster:\n{pods}\n--- the controller-manager:\n{logs}", e);
            }

            Assert.Contains("got its client certificate", worker.Output, StringComparison.Ordinal);
            await Eventually.WaitAsync(async () => (await KubectlOkAsync(admin, "get", "pods", "-n", "kube-system", "-l", "k8s-app=kube-proxy", "--field-selector=spec.nodeName=worker-1", "-o", "jsonpath={.items[*].status.phase}")).Trim() == "Running",
                TimeSpan.FromSeconds(90), "kube-proxy to run on the worker");

            // Every kube-system pod ends up running and ready: coredns on the worker (the master keeps the seed's
            // taint), one controller-manager and one scheduler on the one master.
            await KubectlOkAsync(admin, "wait", "--for=condition=Ready", "pods", "--all", "-n", "kube-system", "--timeout=90s");
            Assert.Equal(0, await worker.TerminateAsync());
        }
        finally
        {
            StopContainers(host);
        }
    }

    private static async Task<bool> ReadyAsync(KubeClient client)
    {
        try
        {
            return (await client.GetRawAsync("/readyz", Token)).Code == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    private static async Task<string> LeaseRenewTimeAsync(string kubeconfig) =>
        await KubectlOkAsync(kubeconfig, "get", "lease", "-n", "kube-node-lease", "master-0", "-o", "jsonpath={.spec.renewTime}");

    // The supervisor of a container's current run, from the node agent's state file.
    private static int SupervisorOf(string host, string container) =>
        Directory.EnumerateDirectories(Path.Combine(host, "var/lib/kubelet/pods"))
            .Select(pod => Path.Combine(pod, "containers", container, "state"))
            .Where(File.Exists)
            .Select(state => int.Parse(File.ReadAllText(state).Split(' ')[0], CultureInfo.InvariantCulture))
            .Single();

    private static void Kill(int pid) => System.Diagnostics.Process.GetProcessById(pid).Kill();

    // The containers run in sessions of their own and outlive their agents: stop every one the agents recorded.
    private static void StopContainers(string host)
    {
        var pods = Path.Combine(host, "var/lib/kubelet/pods");
        if (!Directory.Exists(pods))
        {
            return;
        }

        foreach (var state in Directory.EnumerateFiles(pods, "state", SearchOption.AllDirectories))
        {
            var pid = int.Parse(File.ReadAllText(state).Split(' ')[0], CultureInfo.InvariantCulture);
            using var kill = System.Diagnostics.Process.Start("kill", ["-KILL", "--", "-" + pid]);
            kill.WaitForExit();
        }
    }

    private static async Task<string> KubectlOkAsync(string kubeconfig, params string[] args)
    {
        var (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}:\n{stderr}\n{stdout}");
        return stdout;
    }
}
