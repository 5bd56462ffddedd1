using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Monokube.TestSupport;
using YamlDotNet.RepresentationModel;

namespace Monokube.Tests;

/// <summary>The rendered manifests' command lines, run as a node agent would run them: monokube &lt;component&gt; &lt;flags&gt;.</summary>
public sealed partial class ComponentTests
{
    [Fact]
    public async Task The_rendered_manifests_command_lines_run_serve_health_and_take_the_leases()
    {
        using var dir = new TempDirectory();
        var assets = dir.File("assets");
        var port = FreePort.Next();
        var (code, output) = await MonokubeProcess.RunAsync("render", "--asset-dir", assets, "--api-servers", $"https://127.0.0.1:{port}");
        Assert.True(code == 0, output);
        string Tls(string file) => Path.Combine(assets, "tls", file);

        // The API as the rendered kube-apiserver would serve it: its certificates, CA and service-account keys.
        await using var server = await MonokubeProcess.ServeAsync(
            "--bind-address=127.0.0.1", $"--secure-port={port}", "--tls-cert-file", Tls("apiserver.crt"), "--tls-private-key-file", Tls("apiserver.key"),
            "--client-ca-file", Tls("ca.crt"), "--service-account-key-file", Tls("service-account.pub"), "--service-account-signing-key-file", Tls("service-account.key"),
            "--enable-bootstrap-token-auth", "--service-cluster-ip-range=10.96.0.0/12", "--controllers=none", "--cert-dir", dir.File("certs"));
        var admin = Path.Combine(assets, "auth", "admin.kubeconfig");

        var (cmPort, schedulerPort) = (FreePort.Next(), FreePort.Next());
        await using var controllerManager = MonokubeProcess.Launch([.. await ManifestCommandAsync(Path.Combine(assets, "manifests", "kube-controller-manager.yaml"), dir.File("cm-secrets")), $"--secure-port={cmPort}"]);
        await using var scheduler = MonokubeProcess.Launch([.. await ManifestCommandAsync(Path.Combine(assets, "manifests", "kube-scheduler.yaml"), dir.File("scheduler-secrets")), $"--secure-port={schedulerPort}"]);
        var cmIdentity = await IdentityAsync(controllerManager);
        var schedulerIdentity = await IdentityAsync(scheduler);

        foreach (var (process, healthPort) in new[] { (controllerManager, cmPort), (scheduler, schedulerPort) })
        {
            foreach (var path in new[] { "/healthz", "/livez", "/readyz" })
            {
                var (status, body) = await Eventually.WaitAsync(async () => (true, await GetAsync(healthPort, path)), TimeSpan.FromSeconds(30), $"{path} on port {healthPort}\n{process.Output}");
                Assert.True(status == HttpStatusCode.OK && body == "ok", $"{path}: {status} {body}\n{process.Output}");
            }

            Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(healthPort, "/metrics")).Status);
        }

        await Eventually.WaitAsync(async () => await LeaseHolderAsync(admin, "kube-controller-manager") == cmIdentity, TimeSpan.FromSeconds(30), "the controller-manager to take its lease\n" + controllerManager.Output);
        await Eventually.WaitAsync(async () => await LeaseHolderAsync(admin, "kube-scheduler") == schedulerIdentity, TimeSpan.FromSeconds(30), "the scheduler to take its lease\n" + scheduler.Output);

        // The controllers act with their own service accounts (system:kube-controller-manager may not create ConfigMaps
        // or pods), the node gets a pod CIDR from --cluster-cidr, and the scheduler binds the deployment's pod to it.
        await Eventually.WaitAsync(async () => (await KubectlAsync(admin, "get", "configmap", "-n", "default", "kube-root-ca.crt", "-o", "name")).Contains("configmap/kube-root-ca.crt", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "kube-root-ca.crt in default\n" + controllerManager.Output);
        Assert.Contains("serviceaccount/root-ca-cert-publisher", await KubectlAsync(admin, "get", "serviceaccount", "-n", "kube-system", "root-ca-cert-publisher", "-o", "name"), StringComparison.Ordinal);
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
        await KubectlOkAsync(admin, "create", "-f", node);
        await Eventually.WaitAsync(async () => (await KubectlAsync(admin, "get", "node", "n1", "-o", "jsonpath={.spec.podCIDR}")).StartsWith("10.244.", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "n1 to get a pod CIDR");
        await KubectlOkAsync(admin, "create", "deployment", "web", "--image=nginx:1.25");
        await Eventually.WaitAsync(async () => await KubectlAsync(admin, "get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].spec.nodeName}") == "n1", TimeSpan.FromSeconds(30), "the deployment's pod to be created and bound\n" + controllerManager.Output);

        Assert.Equal(0, await controllerManager.TerminateAsync());
        Assert.Equal(0, await scheduler.TerminateAsync());
    }

    [Fact]
    public async Task A_secure_port_in_use_is_an_error_that_names_it()
    {
        using var dir = new TempDirectory();
        var kubeconfig = dir.File("kubeconfig");
        await File.WriteAllTextAsync(kubeconfig, """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: c, context: {cluster: c, user: u}}]
            current-context: c
            """, Token);
        using var busy = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;

        var (code, output) = await MonokubeProcess.RunAsync("scheduler", "--kubeconfig", kubeconfig, "--bind-address=127.0.0.1", $"--secure-port={port}");
        Assert.Equal(1, code);
        Assert.Contains($"failed to listen on 127.0.0.1:{port}", output, StringComparison.Ordinal);

        (code, output) = await MonokubeProcess.RunAsync("controller-manager", "--kubeconfig", kubeconfig, "--secure-port=0", "--authentication-kubeconfig", dir.File("missing"));
        Assert.Equal(1, code);
        Assert.Contains("Error: ", output, StringComparison.Ordinal);
        Assert.Contains("missing", output, StringComparison.Ordinal);
    }

    // The Deployment's container command without argv[0], with the Secret's files written where the command reads them.
    private static async Task<List<string>> ManifestCommandAsync(string manifest, string secretsDir)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(manifest))
        {
            yaml.Load(reader);
        }

        var documents = yaml.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
        string Kind(YamlMappingNode doc) => ((YamlScalarNode)doc["kind"]).Value!;
        Directory.CreateDirectory(secretsDir);
        foreach (var (key, value) in (YamlMappingNode)documents.Single(d => Kind(d) == "Secret")["data"])
        {
            await File.WriteAllBytesAsync(Path.Combine(secretsDir, ((YamlScalarNode)key).Value!), Convert.FromBase64String(((YamlScalarNode)value).Value!), Token);
        }

        var deployment = documents.Single(d => Kind(d) == "Deployment");
        var container = (YamlMappingNode)((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)deployment["spec"])["template"])["spec"])["containers"])[0];
        var command = ((YamlSequenceNode)container["command"]).Select(c => ((YamlScalarNode)c).Value!).ToList();
        Assert.StartsWith("kube-", command[0], StringComparison.Ordinal);
        return [command[0]["kube-".Length..], .. command.Skip(1).Select(a => a.Replace("/etc/kubernetes/secrets/", secretsDir + "/", StringComparison.Ordinal))];
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(int port, string path)
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate!.Subject.StartsWith("CN=localhost@", StringComparison.Ordinal) };
        using var http = new HttpClient(handler);
        using var response = await http.GetAsync($"https://127.0.0.1:{port}{path}", Token);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Token));
    }

    private static Task<string> LeaseHolderAsync(string kubeconfig, string lease) =>
        KubectlAsync(kubeconfig, "get", "lease", "-n", "kube-system", lease, "-o", "jsonpath={.spec.holderIdentity}");

    private static async Task<string> KubectlAsync(string kubeconfig, params string[] args) =>
        (await Kubectl.RunAsync(Kubectl.Find(null), kubeconfig, args)).Stdout;
}
