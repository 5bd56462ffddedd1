using System.Net;
using System.Text.Json.Nodes;
using Monokube.ApiServer.Objects;
using Monokube.Controllers.Client;
using Monokube.TestSupport;

namespace Monokube.Tests;

/// <summary>
/// monokube start on this machine: the test plays the cluster — a kubelet that registers the master and runs what
/// is bound to it, and the managed kube-apiserver (a second server sharing the port and the etcd) once its pod is
/// scheduled.
/// </summary>
public sealed class StartTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_creates_the_control_plane_hands_the_port_over_and_exits_0()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        using var dir = new TempDirectory();
        var (assets, port) = await RenderAsync(dir, etcd);
        await using var start = LaunchStart(assets, etcd, "--timeout=120s", "--handover-timeout=20s");
        await WaitForOutputAsync(start, "monokube start: serving");

        using var admin = new KubeClient(KubeconfigFile.Load(Path.Combine(assets, "auth", "admin.kubeconfig"), "test"));
        await RegisterMasterAsync(admin, "master-1");
        await using var kubelet = new FakeKubelet(admin, "kube-system");

        // The managed kube-apiserver comes up beside monokube once its pod is bound to the master.
        await Eventually.WaitAsync(async () => await BoundAsync(admin, "kube-apiserver-"), TimeSpan.FromSeconds(60), "the kube-apiserver pod to be bound");
        await using var managed = await ServeManagedAsync(assets, etcd, port, dir);

        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        Assert.Equal(0, await start.WaitForExitAsync(exit.Token));
        Assert.Contains("labelled node master-1 node-role.kubernetes.io/control-plane", start.Output, StringComparison.Ordinal);
        Assert.Contains("handing the apiserver port over", start.Output, StringComparison.Ordinal);
        Assert.Contains("the managed apiserver answers /readyz", start.Output, StringComparison.Ordinal);
        Assert.Contains("created manifests/kube-apiserver.yaml: DaemonSet kube-system/kube-apiserver", start.Output, StringComparison.Ordinal);

        // Only the managed server is left on the address, and it has everything start created.
        using var fresh = new KubeClient(KubeconfigFile.Load(Path.Combine(assets, "auth", "admin.kubeconfig"), "test"));
        foreach (var (resource, name) in new[] { (ResourceRef.DaemonSets, "kube-apiserver"), (ResourceRef.Deployments, "kube-controller-manager"), (ResourceRef.Deployments, "kube-scheduler"), (ResourceRef.DaemonSets, "kubelet"), (ResourceRef.Secrets, "kube-apiserver") })
        {
            Assert.NotNull(await fresh.GetAsync(resource, "kube-system", name, Token));
        }

        foreach (var lease in new[] { "kube-controller-manager", "kube-scheduler" })
        {
            Assert.Equal("", (await fresh.GetAsync(ResourceRef.Leases, "kube-system", lease, Token))!.GetString("spec.holderIdentity"));
        }

        var events = await fresh.ListAsync(new ResourceRef("", "v1", "events", true), "kube-system", Token, fieldSelector: "reason=BootstrapFinished");
        Assert.Single(events["items"]!.AsArray());
    }

    [Fact]
    public async Task Without_a_managed_apiserver_start_keeps_the_address_served_and_says_why_it_failed()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        using var dir = new TempDirectory();
        var (assets, port) = await RenderAsync(dir, etcd);
        await using var start = LaunchStart(assets, etcd, "--timeout=25s", "--handover-timeout=3s");
        await WaitForOutputAsync(start, "monokube start: serving");

        using var admin = new KubeClient(KubeconfigFile.Load(Path.Combine(assets, "auth", "admin.kubeconfig"), "test"));
        await RegisterMasterAsync(admin, "master-1");
        await using var kubelet = new FakeKubelet(admin, "kube-system");
        await WaitForOutputAsync(start, "handover failed");

        // Rolled back: the address answers again while start keeps waiting.
        await Eventually.WaitAsync(async () => (await admin.GetRawAsync("/readyz", Token)).Code == HttpStatusCode.OK, TimeSpan.FromSeconds(20), "the address to be served again");

        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        Assert.Equal(1, await start.WaitForExitAsync(exit.Token));
        Assert.Contains("kube-apiserver: never answered on https://127.0.0.1:" + port, start.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_run_twice_against_one_etcd_converges_and_diagnoses_what_is_missing()
    {
        await using var etcd = await EtcdProcess.StartAsync();
        using var dir = new TempDirectory();
        var (assets, _) = await RenderAsync(dir, etcd);
        foreach (var run in new[] { 1, 2 })
        {
            // No kubelet at all: every object is created (again), then start times out naming what waits.
            await using var start = LaunchStart(assets, etcd, "--timeout=6s");
            using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            Assert.Equal(1, await start.WaitForExitAsync(exit.Token));
            Assert.Contains("created manifests/kubelet.yaml: DaemonSet kube-system/kubelet", start.Output, StringComparison.Ordinal);
            Assert.Contains("nodes: no node registered yet", start.Output, StringComparison.Ordinal);
            Assert.Contains("kube-apiserver: no pod yet", start.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("cannot create", start.Output, StringComparison.Ordinal);
        }
    }

    private static async Task<(string Assets, int Port)> RenderAsync(TempDirectory dir, EtcdProcess etcd)
    {
        var port = FreePort.Next();
        var assets = dir.File("assets");
        var (code, output) = await MonokubeProcess.RunAsync("render", "--asset-dir", assets, "--api-servers", $"https://127.0.0.1:{port}", "--etcd-servers", etcd.ClientUrl);
        Assert.True(code == 0, output);
        return (assets, port);
    }

    private static MonokubeProcess LaunchStart(string assets, EtcdProcess etcd, params string[] flags) =>
        MonokubeProcess.Launch(["start", "--asset-dir", assets, "--etcd-servers", etcd.ClientUrl, "--bind-address", "127.0.0.1", .. flags]);

    private static Task<MonokubeProcess> ServeManagedAsync(string assets, EtcdProcess etcd, int port, TempDirectory dir) =>
        MonokubeProcess.ServeAsync(
            "--bind-address=127.0.0.1", $"--secure-port={port}", "--permit-port-sharing", "--etcd-servers", etcd.ClientUrl,
            "--tls-cert-file", Path.Combine(assets, "tls", "apiserver.crt"), "--tls-private-key-file", Path.Combine(assets, "tls", "apiserver.key"),
            "--client-ca-file", Path.Combine(assets, "tls", "ca.crt"), "--service-cluster-ip-range=10.96.0.0/12", "--controllers=none", "--cert-dir", dir.File("managed-certs"));

    private static Task WaitForOutputAsync(MonokubeProcess process, string text) =>
        Eventually.WaitAsync(() => Task.FromResult(process.Output.Contains(text, StringComparison.Ordinal)), TimeSpan.FromSeconds(60), $"\"{text}\" from monokube start:\n{process.Output}");

    // As the bootstrap kubelet registers the first master: labelled as a master, tainted component=kubelet, Ready.
    private static Task RegisterMasterAsync(KubeClient client, string name) =>
        client.CreateAsync(ResourceRef.Nodes, null, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["kubernetes.io/hostname"] = name, ["monokube.io/control-plane"] = "true" } },
            ["spec"] = new JsonObject { ["taints"] = new JsonArray((JsonNode)new JsonObject { ["key"] = "component", ["value"] = "kubelet", ["effect"] = "NoSchedule" }) },
            ["status"] = new JsonObject
            {
                ["capacity"] = new JsonObject { ["cpu"] = "4", ["memory"] = "8Gi", ["pods"] = "110" },
                ["allocatable"] = new JsonObject { ["cpu"] = "4", ["memory"] = "8Gi", ["pods"] = "110" },
                ["conditions"] = new JsonArray((JsonNode)new JsonObject { ["type"] = "Ready", ["status"] = "True", ["reason"] = "KubeletReady", ["lastHeartbeatTime"] = KubeTime.Format(DateTimeOffset.UtcNow) }),
            },
        }, Token);

    private static async Task<bool> BoundAsync(KubeClient client, string prefix)
    {
        try
        {
            var pods = await client.ListAsync(ResourceRef.Pods, "kube-system", Token);
            return (pods["items"] as JsonArray ?? []).OfType<JsonObject>().Any(p => (p.GetString("metadata.name") ?? "").StartsWith(prefix, StringComparison.Ordinal) && p.GetString("spec.nodeName") is not null);
        }
        catch (KubeApiException)
        {
            return false;
        }
    }
}
