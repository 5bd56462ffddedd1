using System.Text.RegularExpressions;
using Monokube.TestSupport;

namespace Monokube.Tests;

/// <summary>monokube controller-manager and scheduler as standalone components against a server, as kube's run.</summary>
public sealed partial class ComponentTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_controller_managers_hand_the_lease_over_when_the_leader_stops()
    {
        using var dir = new TempDirectory();
        var kubeconfig = dir.File("admin.kubeconfig");
        await using var server = await MonokubeProcess.ServeAsync("--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir", dir.File("certs"), "--write-kubeconfig", kubeconfig, "--controllers=none");
        var ports = (First: FreePort.Next(), Second: FreePort.Next());
        await using var first = MonokubeProcess.Launch("controller-manager", "--kubeconfig", kubeconfig, "--bind-address=127.0.0.1", $"--secure-port={ports.First}");
        await using var second = MonokubeProcess.Launch("controller-manager", "--kubeconfig", kubeconfig, "--bind-address=127.0.0.1", $"--secure-port={ports.Second}");
        var identities = new Dictionary<string, MonokubeProcess>
        {
            [await IdentityAsync(first)] = first,
            [await IdentityAsync(second)] = second,
        };

        var holder = await Eventually.WaitAsync(
            async () =>
            {
                var current = await HolderAsync(kubeconfig);
                return (identities.ContainsKey(current), current);
            },
            TimeSpan.FromSeconds(30),
            "one controller-manager to take the lease");
        var leader = identities[holder];
        var standby = identities.Single(i => i.Key != holder);

        // Both are healthy: a standby without the Lease is working as it should.
        foreach (var port in new[] { ports.First, ports.Second })
        {
            await Eventually.WaitAsync(async () => await GetAsync(port, "/healthz") == (System.Net.HttpStatusCode.OK, "ok"), TimeSpan.FromSeconds(10), $"/healthz on {port} to answer ok");
        }

        // The leader acts: a Deployment gets its ReplicaSet.
        await KubectlOkAsync(kubeconfig, "create", "deployment", "before", "--image=nginx:1.25");
        await WaitForReplicaSetAsync(kubeconfig, "before");

        // Stopped, it releases the lease and the standby takes over without waiting out the lease duration.
        Assert.Equal(0, await leader.TerminateAsync());
        Assert.Contains("released the lease kube-system/kube-controller-manager", leader.Output, StringComparison.Ordinal);
        await Eventually.WaitAsync(async () => await HolderAsync(kubeconfig) == standby.Key, TimeSpan.FromSeconds(10), "the standby to take the lease");
        await KubectlOkAsync(kubeconfig, "create", "deployment", "after", "--image=nginx:1.25");
        await WaitForReplicaSetAsync(kubeconfig, "after");
        Assert.Equal(0, await standby.Value.TerminateAsync());
    }

    [Fact]
    public async Task The_standalone_scheduler_binds_pods_under_its_lease()
    {
        using var dir = new TempDirectory();
        var kubeconfig = dir.File("admin.kubeconfig");
        await using var server = await MonokubeProcess.ServeAsync("--bind-address=127.0.0.1", "--secure-port=0", "--cert-dir", dir.File("certs"), "--write-kubeconfig", kubeconfig, "--controllers=none");
        await using var scheduler = MonokubeProcess.Launch("scheduler", "--kubeconfig", kubeconfig, "--secure-port=0");
        var identity = await IdentityAsync(scheduler);

        var node = dir.File("node.yaml");
        await File.WriteAllTextAsync(node, """
            apiVersion: v1
            kind: Node
            metadata: {name: n1}
            status:
              allocatable: {cpu: "2", memory: 4Gi, pods: "110"}
              capacity: {cpu: "2", memory: 4Gi, pods: "110"}
              conditions: [{type: Ready, status: "True"}]
            """, Token);
        await KubectlOkAsync(kubeconfig, "create", "-f", node);

        // No controller-manager here: the pod's service account is made by hand, as beside a bare kube-apiserver.
        await KubectlOkAsync(kubeconfig, "create", "serviceaccount", "default");
        await KubectlOkAsync(kubeconfig, "run", "p", "--image=nginx:1.25");

        await Eventually.WaitAsync(async () => (await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, "get", "pod", "p", "-o", "jsonpath={.spec.nodeName}")).Stdout == "n1", TimeSpan.FromSeconds(30), "the pod to be bound");
        var (_, lease, _) = await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, "get", "lease", "-n", "kube-system", "kube-scheduler", "-o", "jsonpath={.spec.holderIdentity}");
        Assert.Equal(identity, lease);
        Assert.Equal(0, await scheduler.TerminateAsync());
    }

    [Theory]
    [InlineData("controller-manager", "--kubeconfig is required")]
    [InlineData("controller-manager --kubeconfig=k --controllers=frobnicator", "unknown controller \"frobnicator\"")]
    [InlineData("controller-manager --kubeconfig=k --cluster-signing-cert-file=ca.crt", "--cluster-signing-cert-file and --cluster-signing-key-file go together")]
    [InlineData("scheduler --controllers=x", "unknown flag: --controllers")]
    [InlineData("scheduler --kubeconfig=k --kube-api-content-type=application/vnd.kubernetes.protobuf", "monokube's clients speak JSON (application/json)")]
    [InlineData("controller-manager --kubeconfig=k --bind-address=localhost", "invalid --bind-address \"localhost\"")]
    [InlineData("controller-manager --kubeconfig=k --allocate-node-cidrs --cluster-cidr=10.0.0.0/16,10.1.0.0/16", "two of different IP families")]
    [InlineData("controller-manager --kubeconfig=k --allocate-node-cidrs", "--allocate-node-cidrs needs --cluster-cidr")]
    [InlineData("scheduler --kubeconfig=k --tls-cert-file=x.crt", "--tls-cert-file and --tls-private-key-file go together")]
    public async Task Usage_errors_exit_2_with_a_clear_message(string commandLine, string message)
    {
        var (code, output) = await MonokubeProcess.RunAsync(commandLine.Split(' '));
        Assert.Equal(2, code);
        Assert.Contains(message, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_kubeconfig_is_an_error_not_a_crash()
    {
        var (code, output) = await MonokubeProcess.RunAsync("scheduler", "--kubeconfig", "/nonexistent/kubeconfig");
        Assert.Equal(1, code);
        Assert.StartsWith("Error: ", output, StringComparison.Ordinal);
    }

    private static async Task<string> IdentityAsync(MonokubeProcess process)
    {
        var match = await Eventually.WaitAsync(
            () =>
            {
                var found = IdentityPattern().Match(process.Output);
                return Task.FromResult((found.Success, found));
            },
            TimeSpan.FromSeconds(30),
            "the component to report its identity");
        return match.Groups[1].Value;
    }

    private static async Task<string> HolderAsync(string kubeconfig) =>
        (await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, "get", "lease", "-n", "kube-system", "kube-controller-manager", "-o", "jsonpath={.spec.holderIdentity}")).Stdout;

    private static Task WaitForReplicaSetAsync(string kubeconfig, string deployment) =>
        Eventually.WaitAsync(
            async () => (await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, "get", "replicasets", "-l", "app=" + deployment, "-o", "name")).Stdout.Contains("replicaset.apps/" + deployment + "-", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30),
            $"the ReplicaSet of {deployment}");

    private static async Task KubectlOkAsync(string kubeconfig, params string[] args)
    {
        var (code, stdout, stderr) = await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, args);
        Assert.True(code == 0, $"kubectl {string.Join(' ', args)} exited {code}:\n{stderr}\n{stdout}");
    }

    [GeneratedRegex(@"as (\S+)(?: \(lease|$)", RegexOptions.Multiline)]
    private static partial Regex IdentityPattern();
}
